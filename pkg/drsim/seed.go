package drsim

import (
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// timeLayout is how the simulator writes times. DWS does not document its format; this is the
// zone-less UTC form its console shows.
const timeLayout = "2006-01-02T15:04:05"

// cluster is one side of a DR pair on the wire: what drapi decodes plus fields it ignores, so the
// client's tolerance of unknown fields is exercised too.
type cluster struct {
	drapi.Cluster
	ProjectID        string `json:"-"`
	Progress         string `json:"progress"`
	OBSBucketName    string `json:"obs_bucket_name"`
	DatastoreVersion string `json:"datastore_version"`
	DatastoreType    string `json:"datastore_type"`
	DiskCapacity     int    `json:"disk_capacity"`
	DiskUsed         int    `json:"disk_used"`
}

// detail is a DR task on the detail call's wire.
type detail struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	DRType     string       `json:"dr_type"`
	Status     drapi.Status `json:"status"`
	Primary    cluster      `json:"primary_cluster"`
	Standby    cluster      `json:"standby_cluster"`
	SyncPeriod string       `json:"dr_sync_period"`
	StartTime  string       `json:"start_time"`
	CreateTime string       `json:"create_time"`
}

// summary is a DR task on the list call's wire.
type summary struct {
	drapi.Summary
	PrimaryClusterProjectID string `json:"primary_cluster_project_id"`
	StandbyClusterProjectID string `json:"standby_cluster_project_id"`
}

func (d *detail) summary(lastDisaster string) summary {
	return summary{
		Summary: drapi.Summary{
			ID:                   d.ID,
			Name:                 d.Name,
			Status:               d.Status,
			DRType:               d.DRType,
			PrimaryClusterID:     d.Primary.ID,
			PrimaryClusterName:   d.Primary.Name,
			PrimaryClusterRole:   d.Primary.Role,
			PrimaryClusterStatus: d.Primary.Status,
			PrimaryClusterRegion: d.Primary.Region,
			StandbyClusterID:     d.Standby.ID,
			StandbyClusterName:   d.Standby.Name,
			StandbyClusterRole:   d.Standby.Role,
			StandbyClusterStatus: d.Standby.Status,
			StandbyClusterRegion: d.Standby.Region,
			LastDisasterTime:     lastDisaster,
			StartTime:            d.StartTime,
			CreateTime:           d.CreateTime,
		},
		PrimaryClusterProjectID: d.Primary.ProjectID,
		StandbyClusterProjectID: d.Standby.ProjectID,
	}
}

// seed returns the initial DR tasks, with times relative to now so they look current.
func seed(projectID string, now time.Time) []*task {
	at := func(ago time.Duration) string { return now.Add(-ago).UTC().Format(timeLayout) }
	side := func(id, name, az, role, region string, used int) cluster {
		return cluster{
			Cluster: drapi.Cluster{
				ID: id, Name: name, AZ: az, Role: role, Region: region,
				LastSuccessTime: at(7 * time.Minute),
			},
			ProjectID:        projectID,
			Progress:         "100%",
			OBSBucketName:    "dws-dr-" + name,
			DatastoreVersion: "8.2.1.220",
			DatastoreType:    "dws",
			DiskCapacity:     2000,
			DiskUsed:         used,
		}
	}
	mk := func(id, name, drType string, s drapi.Status, p, sb cluster, age time.Duration) *task {
		d := &detail{
			ID: id, Name: name, DRType: drType, Status: s,
			Primary: p, Standby: sb,
			SyncPeriod: "15m",
			CreateTime: at(age),
		}
		if s != drapi.StatusUnstart {
			d.StartTime = at(age - time.Hour)
		}
		return &task{d: d}
	}
	tasks := []*task{
		mk(SeedRunning, "dr-orders-prod", "region", drapi.StatusRunning,
			side("7d85f602-a948-4a30-afd4-e84f47471c15", "orders-prod-bj4", "cn-north-4a", "primary", "cn-north-4", 812),
			side("1a2b3c4d-5e6f-4a8b-9c0d-e1f2a3b4c5d6", "orders-dr-sh3", "cn-east-3a", "standby", "cn-east-3", 798),
			40*24*time.Hour),
		mk(SeedStopped, "dr-billing-prod", "region", drapi.StatusStopped,
			side("5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f", "billing-prod-bj4", "cn-north-4b", "primary", "cn-north-4", 455),
			side("9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", "billing-dr-sh3", "cn-east-3b", "standby", "cn-east-3", 451),
			120*24*time.Hour),
		mk(SeedStopFailed, "dr-analytics-az", "az", drapi.StatusStopFailed,
			side("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "analytics-prod-a", "cn-north-4a", "primary", "cn-north-4", 1320),
			side("6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e", "analytics-prod-c", "cn-north-4c", "standby", "cn-north-4", 1311),
			15*24*time.Hour),
		mk(SeedUnstart, "dr-reports-staging", "region", drapi.StatusUnstart,
			side("8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d", "reports-stg-sh3", "cn-east-3c", "primary", "cn-east-3", 64),
			side("4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8", "reports-stg-bj4", "cn-north-4b", "standby", "cn-north-4", 0),
			2*time.Hour),
	}
	// The billing pair was failed over in a drill once; the others never were.
	tasks[1].lastDisaster = at(30 * 24 * time.Hour)
	return tasks
}

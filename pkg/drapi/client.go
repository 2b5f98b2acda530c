package drapi

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Config describes one project's DWS endpoint and the credentials to call it with.
type Config struct {
	ProjectID   string
	Region      string // used to derive the endpoint when Endpoint is empty
	Endpoint    string // e.g. "https://dws.cn-north-4.myhuaweicloud.com"; http:// only for loopback hosts
	Credentials Credentials
	// HTTPClient, if nil, is a client of this package with keep-alive and timeouts. A caller's
	// client is used as given; it should be shared, so warm functions reuse connections.
	HTTPClient *http.Client
	UserAgent  string
	// Now is the clock used for X-Sdk-Date; nil means time.Now.
	Now func() time.Time
}

// Client calls the DWS disaster-recovery API of one project. It is safe for concurrent use.
type Client struct {
	// TODO(issue 2): filled in by the client implementation.
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) { return nil, errors.New("not implemented") }

// Get returns the detail of DR task id.
func (c *Client) Get(ctx context.Context, id string) (*Detail, error) {
	return nil, errors.New("not implemented")
}

// List returns the project's DR tasks matching f.
func (c *Client) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	return nil, errors.New("not implemented")
}

// Pause sends the stop request for DR task id and returns the id in the answer.
func (c *Client) Pause(ctx context.Context, id string) (string, error) {
	return "", errors.New("not implemented")
}

// PauseAndFollow pauses DR task id if its status allows, then follows it until stopped.
func (c *Client) PauseAndFollow(ctx context.Context, id string, opt FollowOptions) (Outcome, error) {
	return Outcome{}, errors.New("not implemented")
}

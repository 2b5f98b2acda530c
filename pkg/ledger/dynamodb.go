package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DynamoDB is a ledger in one DynamoDB table shared by every instance: partition key "pk"
// (string), no sort key, TTL on "expires_at" (epoch seconds). The deployment creates the table;
// the ledger needs dynamodb:GetItem, PutItem and DeleteItem on it.
//
// Every write is one conditional PutItem or DeleteItem whose condition also compares
// expires_at with the writer's clock, since TTL deletes expired items lazily (within days). Each
// call is sent once: a lost answer is reported as unavailable, and a claim sent again would meet
// its own record and be refused, which errs on the side of doing nothing.
type DynamoDB struct {
	// Now is the clock; nil means time.Now. Set it before the first call.
	Now func() time.Time

	c     DynamoDBClient
	table string
}

// DynamoDBClient is what the DynamoDB ledger needs of a DynamoDB client: one JSON-protocol
// operation, and errors whose ConditionFailed method tells a refused condition from an outage.
// *awsapi.Client is one. The ledger names no AWS package itself, so that the packages that use
// a ledger (the bot, the alert routes) stay free of AWS code.
type DynamoDBClient interface {
	DynamoDB(ctx context.Context, op string, in, out any) error
}

// conditionFailed reports whether err is DynamoDB refusing a write's condition.
func conditionFailed(err error) bool {
	var e interface{ ConditionFailed() bool }
	return errors.As(err, &e) && e.ConditionFailed()
}

// NewDynamoDB returns the ledger kept in table, reached through c.
func NewDynamoDB(c DynamoDBClient, table string) *DynamoDB {
	return &DynamoDB{c: c, table: table}
}

func (d *DynamoDB) String() string { return "DynamoDB table " + d.table }

func (d *DynamoDB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Item attribute names. "pk" and "expires_at" are the table's contract (interface.md); the
// others are this package's. Keys get a prefix so a claim and a budget never share an item.
const (
	attrPK      = "pk"
	attrExpires = "expires_at"
	attrHolder  = "holder"
	attrState   = "state"
	attrAt      = "at_ms"
	attrIDs     = "ids"
	attrVersion = "version"

	claimPrefix  = "claim#"
	budgetPrefix = "budget#"
)

// value is a DynamoDB AttributeValue, the few kinds used here.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html
type value struct {
	S *string          `json:",omitempty"`
	N *string          `json:",omitempty"`
	M map[string]value `json:",omitempty"`
}

func str(s string) value { return value{S: &s} }
func num(n int64) value  { v := strconv.FormatInt(n, 10); return value{N: &v} }
func (v value) int() int64 {
	if v.N == nil {
		return 0
	}
	n, _ := strconv.ParseInt(*v.N, 10, 64)
	return n
}
func (v value) str() string {
	if v.S == nil {
		return ""
	}
	return *v.S
}

type item map[string]value

// putItem is the input of PutItem and DeleteItem (Item or Key).
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
type putItem struct {
	TableName                 string
	Item                      item              `json:",omitempty"`
	Key                       item              `json:",omitempty"`
	ConditionExpression       string            `json:",omitempty"`
	ExpressionAttributeNames  map[string]string `json:",omitempty"`
	ExpressionAttributeValues item              `json:",omitempty"`
}

// Ping reads one item, which fails unless the table exists and GetItem is allowed.
func (d *DynamoDB) Ping(ctx context.Context) error {
	_, _, err := d.getItem(ctx, "ping#")
	return err
}

// Claim takes key for holder until the given time if no live record holds it, whatever its
// state; an expired record is taken over. A refused claim reports the record in the way, even
// when it is holder's own: a second claim never succeeds.
func (d *DynamoDB) Claim(ctx context.Context, key, holder string, until time.Time) (Result, error) {
	return d.write(ctx, key, holder, Held, until)
}

// Mark records key as done or void by `by` until the given time. It is refused while a live
// record says otherwise: one held by someone else, or one already done or void, which stays so
// for its lifetime. Marking one's own claim, or a key nobody holds, succeeds.
func (d *DynamoDB) Mark(ctx context.Context, key string, state State, by string, until time.Time) (Result, error) {
	if state != Done && state != Void {
		return Result{}, checkMark(key, state, by, until, d.now())
	}
	return d.write(ctx, key, by, state, until)
}

// write is Claim (state Held) and Mark: one conditional PutItem, and on refusal one consistent
// read of the record in the way. If that record is gone or expired by then, the write is tried
// again, a few times.
func (d *DynamoDB) write(ctx context.Context, key, holder string, state State, until time.Time) (Result, error) {
	now := d.now()
	var err error
	if state == Held {
		err = checkClaim(key, holder, until, now)
	} else {
		err = checkMark(key, state, holder, until, now)
	}
	if err != nil {
		return Result{}, err
	}
	exp := expiresAt(until)
	for range 3 {
		r := Record{Key: key, Holder: holder, State: state, At: atMillis(now), Until: time.Unix(exp, 0)}
		in := putItem{
			TableName: d.table,
			Item: item{
				attrPK: str(claimPrefix + key), attrHolder: str(holder), attrState: str(string(state)),
				attrAt: num(r.At.UnixMilli()), attrExpires: num(exp),
			},
			// Absent, or expired though TTL has not deleted it yet.
			ConditionExpression:       "attribute_not_exists(#pk) OR #exp <= :now",
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
			ExpressionAttributeValues: item{":now": num(now.Unix())},
		}
		if state != Held {
			// Or held by the one marking it.
			in.ConditionExpression += " OR (#state = :held AND #holder = :holder)"
			in.ExpressionAttributeNames["#state"] = attrState
			in.ExpressionAttributeNames["#holder"] = attrHolder
			in.ExpressionAttributeValues[":held"] = str(string(Held))
			in.ExpressionAttributeValues[":holder"] = str(holder)
		}
		err := d.c.DynamoDB(ctx, "PutItem", in, nil)
		if err == nil {
			return Result{OK: true, Record: r}, nil
		}
		if !conditionFailed(err) {
			return Result{}, d.unavailable(err)
		}
		// ReturnValuesOnConditionCheckFailure would save this read, but the local test server
		// (dynalite) does not know it; one read on the refusal path keeps one tested path.
		cur, ok, err := d.getItem(ctx, claimPrefix+key)
		if err != nil {
			return Result{}, err
		}
		if ok && live(cur.Until.Unix(), now) {
			cur.Key = key
			return Result{Record: cur}, nil
		}
		now = d.now()
	}
	return Result{}, d.unavailable(errors.New("the record changed under three attempts in a row"))
}

// Put records key as held by holder until the given time whatever record stands: for a fact that
// only the newest writer's version matters of (the last pause of a DR), not for a promise. One
// unconditional PutItem.
func (d *DynamoDB) Put(ctx context.Context, key, holder string, until time.Time) (Record, error) {
	now := d.now()
	if err := checkClaim(key, holder, until, now); err != nil {
		return Record{}, err
	}
	exp := expiresAt(until)
	r := Record{Key: key, Holder: holder, State: Held, At: atMillis(now), Until: time.Unix(exp, 0)}
	err := d.c.DynamoDB(ctx, "PutItem", putItem{
		TableName: d.table,
		Item: item{
			attrPK: str(claimPrefix + key), attrHolder: str(holder), attrState: str(string(Held)),
			attrAt: num(r.At.UnixMilli()), attrExpires: num(exp),
		},
	}, nil)
	if err != nil {
		return Record{}, d.unavailable(err)
	}
	return r, nil
}

// Release gives up holder's claim on key. It does nothing when holder does not hold key: the
// claim expired and someone else took it, or it was marked done or void.
func (d *DynamoDB) Release(ctx context.Context, key, holder string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := d.c.DynamoDB(ctx, "DeleteItem", putItem{
		TableName:                 d.table,
		Key:                       item{attrPK: str(claimPrefix + key)},
		ConditionExpression:       "#state = :held AND #holder = :holder",
		ExpressionAttributeNames:  map[string]string{"#state": attrState, "#holder": attrHolder},
		ExpressionAttributeValues: item{":held": str(string(Held)), ":holder": str(holder)},
	}, nil)
	if err != nil && !conditionFailed(err) {
		return d.unavailable(err)
	}
	return nil
}

// Get returns the live record of key, if there is one.
func (d *DynamoDB) Get(ctx context.Context, key string) (Record, bool, error) {
	if err := checkKey(key); err != nil {
		return Record{}, false, err
	}
	r, ok, err := d.getItem(ctx, claimPrefix+key)
	if err != nil || !ok || !live(r.Until.Unix(), d.now()) {
		return Record{}, false, err
	}
	r.Key = key
	return r, true, nil
}

// getItem reads one item with a strongly consistent read, so it sees every write acknowledged
// before it. A record's Key is left for the caller to fill in.
func (d *DynamoDB) getItem(ctx context.Context, pk string) (Record, bool, error) {
	var out struct{ Item item }
	err := d.c.DynamoDB(ctx, "GetItem", struct {
		TableName      string
		Key            item
		ConsistentRead bool
	}{d.table, item{attrPK: str(pk)}, true}, &out)
	if err != nil {
		return Record{}, false, d.unavailable(err)
	}
	if out.Item == nil {
		return Record{}, false, nil
	}
	it := out.Item
	return Record{
		Holder: it[attrHolder].str(),
		State:  State(it[attrState].str()),
		At:     time.UnixMilli(it[attrAt].int()),
		Until:  time.Unix(it[attrExpires].int(), 0),
	}, true, nil
}

// Reserve admits ids against a budget of at most max distinct ids within a sliding window:
// it records them if the distinct ids seen within the window, these included, number at most
// max, and records nothing otherwise, so a refused request uses no budget. An id already
// within the window costs nothing more; its time is refreshed.
//
// A budget is one item holding a map of id to the time it was last admitted, and a version.
// Reserve reads it consistently, applies the rule, and writes the new map only if the version
// is still the one it read; if another instance wrote in between, it reads again. The whole
// decision thus rests on one item and one conditional write: two instances can never both admit
// ids against the same count. Items per id with a separate counter could not do this, since ids
// leave the window by time alone and no single write would see the count drop. The map stays
// small: ids past the window are dropped at every write, so it never holds more than max ids.
func (d *DynamoDB) Reserve(ctx context.Context, budget string, ids []string, max int, window time.Duration) (Budget, error) {
	if err := checkReserve(budget, ids, max, window); err != nil {
		return Budget{}, err
	}
	pk := budgetPrefix + budget
	// Each round loses only to a write that succeeded, so the rounds needed grow with the
	// instances reserving at once; sixteen covers any alert storm this is meant for.
	for range 16 {
		now := d.now()
		var out struct{ Item item }
		err := d.c.DynamoDB(ctx, "GetItem", struct {
			TableName      string
			Key            item
			ConsistentRead bool
		}{d.table, item{attrPK: str(pk)}, true}, &out)
		if err != nil {
			return Budget{}, d.unavailable(err)
		}
		seen := map[string]time.Time{}
		for id, v := range out.Item[attrIDs].M {
			seen[id] = time.UnixMilli(v.int())
		}
		b, next := reserve(seen, ids, max, window, now)
		if !b.OK || len(ids) == 0 {
			// Nothing to record; and an empty map is no valid AttributeValue.
			return b, nil
		}
		m := make(map[string]value, len(next))
		for id, at := range next {
			m[id] = num(at.UnixMilli())
		}
		in := putItem{
			TableName: d.table,
			Item: item{
				attrPK: str(pk), attrIDs: {M: m},
				attrVersion: num(out.Item[attrVersion].int() + 1),
				attrExpires: num(expiresAt(now.Add(window))),
			},
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		}
		if out.Item == nil {
			in.ConditionExpression = "attribute_not_exists(#pk)"
		} else {
			in.ConditionExpression = "#v = :v"
			in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
			in.ExpressionAttributeValues = item{":v": num(out.Item[attrVersion].int())}
		}
		err = d.c.DynamoDB(ctx, "PutItem", in, nil)
		if err == nil {
			return b, nil
		}
		if !conditionFailed(err) {
			return Budget{}, d.unavailable(err)
		}
	}
	return Budget{}, d.unavailable(fmt.Errorf("budget %q: too many concurrent writers", budget))
}

// unavailable wraps err, naming the table. Errors of awsapi carry no credentials.
func (d *DynamoDB) unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return &UnavailableError{Ledger: d.String(), Err: err}
}

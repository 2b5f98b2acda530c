package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// api is every operation of a ledger; the contract below holds for each implementation.
type api interface {
	Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error)
	Mark(ctx context.Context, key string, state ledger.State, by string, until time.Time) (ledger.Result, error)
	Release(ctx context.Context, key, holder string) error
	Put(ctx context.Context, key, holder string, until time.Time) (ledger.Record, error)
	Get(ctx context.Context, key string) (ledger.Record, bool, error)
	Reserve(ctx context.Context, budget string, ids []string, max int, window time.Duration) (ledger.Budget, error)
	Ping(ctx context.Context) error
	String() string
}

var (
	_ api = (*ledger.Memory)(nil)
	_ api = (*ledger.DynamoDB)(nil)
)

// clock is a settable clock shared by the instances of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// instances returns two instances of one ledger sharing its state, on clock clk: for Memory the
// same value twice (it lives in one process); for DynamoDB two values with their own HTTP
// clients and connections on one table, as two Lambda instances would have.
var implementations = []struct {
	name      string
	instances func(t testing.TB, clk *clock) (api, api)
}{
	{"Memory", func(t testing.TB, clk *clock) (api, api) {
		m := ledger.NewMemory()
		m.Now = clk.Now
		return m, m
	}},
	{"DynamoDB", func(t testing.TB, clk *clock) (api, api) {
		endpoint := dynaliteEndpoint(t)
		a := ledger.NewDynamoDB(newClient(t, endpoint), testTable)
		b := ledger.NewDynamoDB(newClient(t, endpoint), testTable)
		a.Now, b.Now = clk.Now, clk.Now
		return a, b
	}},
}

// runs makes every key unique to one run of one test: the DynamoDB tests share one table for
// the life of the test binary, -count=N included.
var runs atomic.Int64

// contract runs f against each implementation, with a key maker whose keys no other test uses.
func contract(t *testing.T, f func(t *testing.T, a, b api, clk *clock, key func(string) string)) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			clk := newClock()
			a, b := impl.instances(t, clk)
			run := runs.Add(1)
			key := func(s string) string { return fmt.Sprintf("%s/%d/%s", t.Name(), run, s) }
			f(t, a, b, clk, key)
		})
	}
}

// must fails the test on an error and passes the other results through.
type must struct{ t *testing.T }

func (m must) Result(r ledger.Result, err error) ledger.Result {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
	return r
}

func (m must) Budget(b ledger.Budget, err error) ledger.Budget {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
	return b
}

func (m must) Get(r ledger.Record, ok bool, err error) (ledger.Record, bool) {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
	return r, ok
}

// wantRecord checks a record's holder, state and times.
func wantRecord(t *testing.T, what string, got ledger.Record, key, holder string, state ledger.State, at, until time.Time) {
	t.Helper()
	if got.Key != key || got.Holder != holder || got.State != state || !got.At.Equal(at) || !got.Until.Equal(until) {
		t.Errorf("%s: got %+v; want key %s, %s by %s at %s until %s", what, got, key, state, holder, at, until)
	}
}

func TestClaimFirstWriterWins(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		k, t0 := key("op"), clk.Now()
		until := t0.Add(10 * time.Minute)

		r := m.Result(a.Claim(ctx, k, "req-1", until))
		if !r.OK {
			t.Fatalf("first claim: got %+v; want OK", r)
		}
		wantRecord(t, "first claim", r.Record, k, "req-1", ledger.Held, t0, until)

		clk.Add(time.Second)
		for _, tc := range []struct {
			l      api
			holder string
		}{{b, "req-2"}, {a, "req-1"}} { // another holder, and the same one again
			r = m.Result(tc.l.Claim(ctx, k, tc.holder, clk.Now().Add(time.Hour)))
			if r.OK {
				t.Fatalf("claim by %s on a held key: got OK", tc.holder)
			}
			wantRecord(t, "refused claim", r.Record, k, "req-1", ledger.Held, t0, until)
		}
		got, ok := m.Get(b.Get(ctx, k))
		if !ok {
			t.Fatal("Get of a held key: not found")
		}
		wantRecord(t, "Get", got, k, "req-1", ledger.Held, t0, until)
	})
}

func TestExpiredRecordIsTakenOver(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		k := key("job")
		// Until is kept in whole seconds, rounded up: 1.5 s means 2 s.
		until := clk.Now().Add(1500 * time.Millisecond)
		if r := m.Result(a.Claim(ctx, k, "first", until)); !r.OK || !r.Until.Equal(clk.Now().Add(2*time.Second)) {
			t.Fatalf("claim: got %+v; want OK until +2s", r)
		}
		clk.Add(1999 * time.Millisecond)
		if r := m.Result(b.Claim(ctx, k, "second", clk.Now().Add(time.Minute))); r.OK {
			t.Fatal("claim 1.999 s in: got OK; want refused")
		}
		clk.Add(time.Millisecond)
		if _, ok := m.Get(a.Get(ctx, k)); ok {
			t.Error("Get of an expired record: found")
		}
		if r := m.Result(b.Claim(ctx, k, "second", clk.Now().Add(time.Minute))); !r.OK || r.Holder != "second" {
			t.Fatalf("claim after expiry: got %+v; want OK for second", r)
		}

		// A done record expires too.
		d := key("done")
		m.Result(a.Mark(ctx, d, ledger.Done, "u1", clk.Now().Add(time.Second)))
		clk.Add(time.Second)
		if r := m.Result(b.Claim(ctx, d, "u2", clk.Now().Add(time.Second))); !r.OK {
			t.Fatalf("claim of an expired done record: got %+v", r)
		}
	})
}

// TestSingleUseCard walks a card through the ways it is used: click, pause, mark done; cancel;
// and the later clicks that must be refused with who and when.
func TestSingleUseCard(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		life := time.Hour

		// U1 clicks Pause: claim, act, mark done.
		used, t0 := key("card-used"), clk.Now()
		until := t0.Add(life)
		m.Result(a.Claim(ctx, used, "U1", until))
		clk.Add(time.Second)
		if r := m.Result(b.Mark(ctx, used, ledger.Void, "U2", clk.Now().Add(life))); r.OK {
			t.Error("cancel while U1's click is acting: got OK; want refused")
		} else {
			wantRecord(t, "refused cancel", r.Record, used, "U1", ledger.Held, t0, until)
		}
		t1 := clk.Now()
		r := m.Result(a.Mark(ctx, used, ledger.Done, "U1", t1.Add(life)))
		if !r.OK {
			t.Fatalf("U1 marks its own claim done: got %+v", r)
		}
		// Clicked again later, after the DR was resumed: refused, naming U1.
		clk.Add(30 * time.Minute)
		for _, try := range []func() (ledger.Result, error){
			func() (ledger.Result, error) { return b.Claim(ctx, used, "U3", clk.Now().Add(life)) },
			func() (ledger.Result, error) { return b.Claim(ctx, used, "U1", clk.Now().Add(life)) },
			func() (ledger.Result, error) { return a.Mark(ctx, used, ledger.Void, "U2", clk.Now().Add(life)) },
			func() (ledger.Result, error) { return a.Mark(ctx, used, ledger.Done, "U1", clk.Now().Add(life)) },
		} {
			r := m.Result(try())
			if r.OK {
				t.Fatal("a used card acted again")
			}
			wantRecord(t, "used card", r.Record, used, "U1", ledger.Done, t1, t1.Add(life))
		}

		// U2 cancels an idle card; then U1 clicks Pause on it: refused, naming U2.
		void := key("card-void")
		t2 := clk.Now()
		if r := m.Result(b.Mark(ctx, void, ledger.Void, "U2", t2.Add(life))); !r.OK {
			t.Fatalf("cancel: got %+v", r)
		}
		clk.Add(time.Second)
		if r := m.Result(a.Claim(ctx, void, "U1", clk.Now().Add(life))); r.OK {
			t.Error("click after cancel: got OK")
		} else {
			wantRecord(t, "click after cancel", r.Record, void, "U2", ledger.Void, t2, t2.Add(life))
		}
		if r := m.Result(a.Mark(ctx, void, ledger.Done, "U2", clk.Now().Add(life))); r.OK {
			t.Error("done after void: got OK; a void card must stay void")
		}
	})
}

// TestPut: Put replaces whatever record stands, on every instance, and the newest writer's
// record is the one read back.
func TestPut(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		k := key("last")
		until := clk.Now().Add(time.Hour)
		m.Result(a.Claim(ctx, k, "first", until))
		if _, err := b.Put(ctx, k, "second", until); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Put(ctx, k, "third", until); err != nil {
			t.Fatal(err)
		}
		rec, found, err := b.Get(ctx, k)
		if err != nil || !found || rec.Holder != "third" {
			t.Fatalf("Get after two Puts: got %+v, %t, %v; want held by third", rec, found, err)
		}
		if _, err := a.Put(ctx, k, "", until); err == nil {
			t.Error("Put with no holder: got no error; want one")
		}
	})
}

func TestRelease(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		k := key("op")
		until := clk.Now().Add(time.Hour)
		m.Result(a.Claim(ctx, k, "req-1", until))
		if err := b.Release(ctx, k, "req-2"); err != nil {
			t.Fatal(err)
		}
		if r := m.Result(b.Claim(ctx, k, "req-2", until)); r.OK || r.Holder != "req-1" {
			t.Fatalf("after a release by someone else: got %+v; want still held by req-1", r)
		}
		if err := b.Release(ctx, k, "req-1"); err != nil {
			t.Fatal(err)
		}
		if r := m.Result(b.Claim(ctx, k, "req-2", until)); !r.OK {
			t.Fatalf("after release by the holder: got %+v; want OK", r)
		}
		if err := a.Release(ctx, key("never-claimed"), "x"); err != nil {
			t.Errorf("release of an absent key: %v", err)
		}

		// A done record is not released, even by the one who used it.
		d := key("done")
		m.Result(a.Claim(ctx, d, "U1", until))
		m.Result(a.Mark(ctx, d, ledger.Done, "U1", until))
		if err := a.Release(ctx, d, "U1"); err != nil {
			t.Fatal(err)
		}
		if r := m.Result(b.Claim(ctx, d, "U2", until)); r.OK {
			t.Error("release freed a done record")
		}
	})
}

func TestReserve(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		budget, window := key("alerts"), 10*time.Minute
		reserve := func(l api, max int, ids ...string) ledger.Budget {
			t.Helper()
			return m.Budget(l.Reserve(ctx, budget, ids, max, window))
		}
		t0 := clk.Now()

		if got := reserve(a, 2); !got.OK || len(got.IDs) != 0 || !got.Next.IsZero() {
			t.Fatalf("no ids against a fresh budget: got %+v; want OK, nothing counted", got)
		}
		// A request past the budget is refused whole and uses none of it.
		if got := reserve(a, 2, "dr-a", "dr-b", "dr-c"); got.OK || len(got.IDs) != 0 {
			t.Fatalf("3 ids against 2: got %+v; want refused, nothing counted", got)
		}
		if got := reserve(a, 2, "dr-a", "dr-a"); !got.OK || !slices.Equal(got.IDs, []string{"dr-a"}) {
			t.Fatalf("dr-a twice: got %+v; want OK [dr-a]", got)
		}
		clk.Add(time.Minute)
		if got := reserve(b, 2, "dr-b"); !got.OK || !slices.Equal(got.IDs, []string{"dr-a", "dr-b"}) || !got.Next.Equal(t0.Add(window)) {
			t.Fatalf("dr-b: got %+v; want OK [dr-a dr-b], next %s", got, t0.Add(window))
		}
		clk.Add(time.Minute)
		got := reserve(a, 2, "dr-c")
		if got.OK || !slices.Equal(got.IDs, []string{"dr-a", "dr-b"}) || !got.Next.Equal(t0.Add(window)) {
			t.Fatalf("dr-c past the budget: got %+v; want refused, [dr-a dr-b], next %s", got, t0.Add(window))
		}
		// An id already counted costs nothing, and slides its window.
		if got := reserve(b, 2, "dr-a"); !got.OK || !slices.Equal(got.IDs, []string{"dr-b", "dr-a"}) {
			t.Fatalf("dr-a again: got %+v; want OK [dr-b dr-a]", got)
		}
		// dr-b (admitted at t0+1m) leaves the window at t0+11m; dr-a, refreshed at t0+2m, stays.
		clk.Add(9 * time.Minute)
		if got := reserve(a, 2, "dr-c"); !got.OK || !slices.Equal(got.IDs, []string{"dr-a", "dr-c"}) {
			t.Fatalf("dr-c once dr-b left the window: got %+v; want OK [dr-a dr-c]", got)
		}
		// Budgets are separate from each other and from claims.
		if got := m.Budget(b.Reserve(ctx, key("other"), []string{"dr-x"}, 1, window)); !got.OK {
			t.Errorf("another budget: got %+v", got)
		}
		if r := m.Result(a.Claim(ctx, budget, "h", clk.Now().Add(time.Minute))); !r.OK {
			t.Errorf("a claim on the budget's name: got %+v; want OK", r)
		}
	})
}

func TestInvalidInput(t *testing.T) {
	contract(t, func(t *testing.T, a, _ api, clk *clock, key func(string) string) {
		ctx := t.Context()
		now := clk.Now()
		long := string(make([]byte, 1025))
		for name, err := range map[string]error{
			"empty key":        second(a.Claim(ctx, "", "h", now.Add(time.Hour))),
			"long key":         second(a.Claim(ctx, long, "h", now.Add(time.Hour))),
			"empty holder":     second(a.Claim(ctx, key("k"), "", now.Add(time.Hour))),
			"until now":        second(a.Claim(ctx, key("k"), "h", now)),
			"mark held":        second(a.Mark(ctx, key("k"), ledger.Held, "h", now.Add(time.Hour))),
			"mark odd state":   second(a.Mark(ctx, key("k"), "used", "h", now.Add(time.Hour))),
			"reserve window":   second(a.Reserve(ctx, key("b"), []string{"x"}, 2, 0)),
			"reserve empty id": second(a.Reserve(ctx, key("b"), []string{""}, 2, time.Minute)),
			"release no key":   a.Release(ctx, "", "h"),
		} {
			if err == nil {
				t.Errorf("%s: want an error", name)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

// TestConcurrentClaims: many claims on one key at once, through both instances: exactly one wins,
// and every other one names the winner.
func TestConcurrentClaims(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx := t.Context()
		k := key("op")
		until := clk.Now().Add(time.Hour)
		const n = 16
		results := make([]ledger.Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			l := a
			if i%2 == 1 {
				l = b
			}
			wg.Go(func() { results[i], errs[i] = l.Claim(ctx, k, fmt.Sprintf("req-%d", i), until) })
		}
		wg.Wait()
		var winners []string
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("claim %d: %v", i, errs[i])
			}
			if r.OK {
				winners = append(winners, r.Holder)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("winners: got %v; want exactly one", winners)
		}
		for i, r := range results {
			if r.Holder != winners[0] {
				t.Errorf("claim %d: reports holder %s; want %s", i, r.Holder, winners[0])
			}
		}
	})
}

// TestConcurrentReserve: requests naming one new id each, at once, through both instances,
// against a budget of 3: exactly 3 are admitted, and the budget holds exactly those.
func TestConcurrentReserve(t *testing.T) {
	contract(t, func(t *testing.T, a, b api, clk *clock, key func(string) string) {
		ctx, m := t.Context(), must{t}
		budget := key("alerts")
		const n, max = 8, 3
		results := make([]ledger.Budget, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			l := a
			if i%2 == 1 {
				l = b
			}
			wg.Go(func() {
				results[i], errs[i] = l.Reserve(ctx, budget, []string{fmt.Sprintf("dr-%d", i)}, max, time.Hour)
			})
		}
		wg.Wait()
		var admitted []string
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("reserve %d: %v", i, errs[i])
			}
			if r.OK {
				admitted = append(admitted, fmt.Sprintf("dr-%d", i))
			}
		}
		if len(admitted) != max {
			t.Fatalf("admitted: got %v; want %d of them", admitted, max)
		}
		final := m.Budget(a.Reserve(ctx, budget, nil, max, time.Hour))
		slices.Sort(final.IDs)
		if !slices.Equal(final.IDs, admitted) {
			t.Errorf("budget holds %v; want %v", final.IDs, admitted)
		}
	})
}

func TestPing(t *testing.T) {
	contract(t, func(t *testing.T, a, _ api, _ *clock, _ func(string) string) {
		if err := a.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

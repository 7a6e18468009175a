package groups_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/webtest"
)

// seedGroup adds a group of n children with two guardians each (one of
// them needing an interpreter, every third not signed up) to the fixture
// kindergarten, with the leader assigned to it.
func seedGroup(t testing.TB, d *db.DB, w *webtest.World, name string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	g, err := directory.CreateGroup(ctx, d.W, w.Kg, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.AssignGroup(ctx, d.W, w.Leader, g); err != nil {
		t.Fatal(err)
	}
	langs := []string{"ar", "ti", "so", "uk", "fa-AF", "pl"}
	for i := range n {
		c, err := directory.CreateChild(ctx, d.W, &directory.Child{KindergartenID: w.Kg, GroupID: g, FirstName: fmt.Sprintf("Barn%02d", i), LastName: "Benk", BirthDate: "2021-05-06"})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			p := &directory.Person{Name: fmt.Sprintf("Forelder %d-%d", i, j), Languages: []string{langs[(i+j)%len(langs)], "en"},
				NeedsInterpreter: j == 0, InterpreterLanguage: langs[i%len(langs)], InfoPreference: []string{"text", "audio", "pictures"}[i%3]}
			if i%3 != 0 {
				p.Login = fmt.Sprintf("bench-%s-%d-%d", name, i, j)
			}
			pid, err := directory.CreatePerson(ctx, d.W, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := directory.SetLink(ctx, d.W, directory.Link{ChildID: c, PersonID: pid, ParentalResponsibility: true, LivesWith: j == 0, NoPickup: i == 7 && j == 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return g
}

// BenchmarkGroupOverview renders a group of 25 children with two
// guardians each through the real handler, as the tablet in the group
// room asks for it.
func BenchmarkGroupOverview(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			d := engine.open(b)
			s, w := setup(b, d)
			g := seedGroup(b, d, w, "Bench", 25)
			cl := s.Login(b, "leader", webtest.Password)
			path := group(g)
			if res := cl.Get(path); res.Status != http.StatusOK || len(res.Body) == 0 {
				b.Fatalf("GET %s: %d", path, res.Status)
			}
			for b.Loop() {
				if res := cl.Get(path); res.Status != http.StatusOK {
					b.Fatalf("GET %s: %d", path, res.Status)
				}
			}
		})
	}
}

// The overview must not ask the database once per child: a group of 30
// children costs as many queries as a group of 1.
func TestGroupOverviewQueriesDoNotGrowWithChildren(t *testing.T) {
	d, n := countingSQLite(t)
	s, w := setup(t, d)
	small := seedGroup(t, d, w, "Liten", 1)
	big := seedGroup(t, d, w, "Stor", 30)
	cl := s.Login(t, "leader", webtest.Password)
	queries := func(path string) int64 {
		cl.Get(path) // warm up (session bookkeeping)
		before := n.Load()
		res := cl.Get(path)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.Status)
		}
		return n.Load() - before
	}
	qs, qb := queries(group(small)), queries(group(big))
	if qs != qb {
		t.Errorf("a group of 1 child takes %d queries, a group of 30 takes %d", qs, qb)
	}
	// The middleware's own (session, person, rights, permission) plus the
	// overview's three.
	if qb > 12 {
		t.Errorf("%d queries for one overview", qb)
	}
	t.Logf("%d queries per overview", qb)
}

// countingSQLite opens a migrated SQLite database through a driver that
// counts the statements sent to it.
func countingSQLite(t *testing.T) (*db.DB, *atomic.Int64) {
	registerCounting.Do(func() {
		probe, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			panic(err)
		}
		sql.Register("sqlite-counting", &countingDriver{inner: probe.Driver()})
		probe.Close()
	})
	dsn := "file:" + filepath.Join(t.TempDir(), "tillit.db") + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	w, err := sql.Open("sqlite-counting", dsn)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite-counting", dsn+"&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	d := &db.DB{Dialect: db.SQLite, W: w, R: r}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	counted.Store(0)
	return d, &counted
}

var (
	registerCounting sync.Once
	counted          atomic.Int64
)

type countingDriver struct{ inner driver.Driver }

func (d *countingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &countingConn{c}, nil
}

// countingConn passes everything to the real connection and counts
// queries and statements.
type countingConn struct{ driver.Conn }

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	counted.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	counted.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	counted.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

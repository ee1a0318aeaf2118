package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the same SQLite driver FerretDB uses
)

// FerretDB v1.24's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but looks it up
// with `_ferretdb_sjson->'$._id'`. SQLite treats the two expressions as different, so every
// `{_id: value}` query scans its whole table. idIndexer adds an index on the expression the
// queries use, for every collection table, so `_id` look-ups are index searches again.
type idIndexer struct {
	dir    string
	logger *slog.Logger
	dbs    map[string]*openDB
}

// openDB is one database file as we opened it; a dropped and re-created database is a new file.
type openDB struct {
	db   *sql.DB
	info os.FileInfo
}

func newIDIndexer(dir string, logger *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, logger: logger, dbs: map[string]*openDB{}}
}

// run checks for new tables every interval until ctx ends.
func (x *idIndexer) run(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	defer x.close()

	for {
		x.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (x *idIndexer) pass(ctx context.Context) {
	files, _ := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	for _, file := range files {
		if err := x.indexFile(ctx, file); err != nil {
			x.logger.Debug("id index pass", slog.String("file", filepath.Base(file)), slog.String("error", err.Error()))
		}
	}
}

// forget closes our handle on a file that was dropped or replaced.
func (x *idIndexer) forget(file string) {
	if o, ok := x.dbs[file]; ok {
		o.db.Close()
		delete(x.dbs, file)
	}
}

func (x *idIndexer) indexFile(ctx context.Context, file string) error {
	info, err := os.Stat(file)
	if err != nil {
		x.forget(file)
		return err
	}
	o, ok := x.dbs[file]
	if ok && !os.SameFile(o.info, info) {
		x.forget(file)
		ok = false
	}
	if !ok {
		db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		o = &openDB{db: db, info: info}
		x.dbs[file] = o
	}
	db := o.db

	// Tables of collections that lack our index (new, or dropped and created again).
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections
		WHERE table_name || '__id_lookup' NOT IN (SELECT name FROM sqlite_master WHERE type = 'index')`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err = rows.Scan(&t); err == nil {
			tables = append(tables, t)
		}
	}
	rows.Close()

	for _, table := range tables {
		name := table + "__id_lookup"
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, name, table)
		if _, err = db.ExecContext(ctx, q); err != nil {
			if strings.Contains(err.Error(), "no such table") {
				continue
			}
			return err
		}
	}
	return nil
}

func (x *idIndexer) close() {
	for file := range x.dbs {
		x.forget(file)
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"tillit/internal/feature/importer"
	"tillit/internal/i18n"
	"tillit/internal/importcsv"
)

// importCmd imports children, guardians and groups from a CSV file (the
// format is docs/import.md), all or nothing, and prints a report.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs, "data")
	kg := fs.Int64("kindergarten", 0, "the kindergarten to import into")
	lang := fs.String("lang", "en", "language of the error report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *kg <= 0 {
		return errors.New("usage: tillit import --kindergarten ID FILE.csv")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := openDB(ctx, &c)
	if err != nil {
		return err
	}
	defer d.Close()
	var exists int
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM kindergartens WHERE id = $1`, *kg).Scan(&exists); err != nil || exists == 0 {
		return fmt.Errorf("no kindergarten %d", *kg)
	}
	l := i18n.New(*lang)
	res, rowErrs, err := importcsv.Parse(f, importcsv.Options{Now: time.Now().In(i18n.Oslo)})
	if err != nil {
		var fe *importcsv.FileError
		if errors.As(err, &fe) {
			return fmt.Errorf("%s: %s %s", fs.Arg(0), l.T("import.code."+fe.Code), fe.Column)
		}
		return err
	}
	if len(rowErrs) > 0 {
		for _, e := range rowErrs {
			fmt.Fprintf(stderr, "line %d, %s: %s (%q)\n", e.Row, e.Column, l.T("import.code."+e.Code), e.Value)
		}
		return fmt.Errorf("%d problems; nothing was imported", len(rowErrs))
	}
	sum, err := importer.Import(ctx, d, *kg, res)
	if err != nil {
		return err
	}
	for _, row := range []struct {
		name string
		n    importer.Count
	}{{"groups", sum.Groups}, {"children", sum.Children}, {"guardians", sum.Guardians}, {"links", sum.Links}} {
		fmt.Fprintf(stdout, "%-10s %d new, %d changed, %d unchanged\n", row.name, row.n.Created, row.n.Updated, row.n.Unchanged)
	}
	return nil
}

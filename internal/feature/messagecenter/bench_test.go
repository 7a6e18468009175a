package messagecenter_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/webtest"
)

// BenchmarkComposePreview renders the compose page with the preview of a
// phrasebook entry with three slots for a group whose families read all
// 13 launch languages, through the whole handler (session, permission,
// recipients query, 13 renderings, template).
func BenchmarkComposePreview(b *testing.B) {
	d := dbtest.SQLite(b)
	w := webtest.NewWorld(b, d)
	ctx := context.Background()
	for i, l := range i18n.Languages {
		c, err := directory.CreateChild(ctx, d.W, &directory.Child{KindergartenID: w.Kg, GroupID: w.GroupA, FirstName: fmt.Sprint("Barn", i), LastName: "Bench", BirthDate: "2022-01-01"})
		if err != nil {
			b.Fatal(err)
		}
		p, err := directory.CreatePerson(ctx, d.W, &directory.Person{Name: fmt.Sprint("Forelder ", i), Languages: []string{l.Code}})
		if err != nil {
			b.Fatal(err)
		}
		if err := directory.SetLink(ctx, d.W, directory.Link{ChildID: c, PersonID: p, ParentalResponsibility: true}); err != nil {
			b.Fatal(err)
		}
	}
	s := webtest.NewServer(b, d, app.Handler)
	leader := s.Login(b, "leader", webtest.Password)
	path := fmt.Sprintf("/groups/%d/compose?phrase=trips.trip_to_place&Place=place.forest&Date=2026-12-01&Time=09:30&preview=1", w.GroupA)
	res := leader.Get(path)
	if res.Status != http.StatusOK || strings.Count(res.Body, `<li id="preview-`) != len(i18n.Languages) {
		b.Fatalf("preview: %d, %d blocks", res.Status, strings.Count(res.Body, `<li id="preview-`))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(res.Body))
	zw.Close()
	if gz.Len() > 14<<10 {
		b.Fatalf("compose page with 13 previews is %d bytes gzipped, over 14 KB", gz.Len())
	}
	b.Logf("compose page with 13 previews: %d bytes, %d gzipped", len(res.Body), gz.Len())
	b.ReportAllocs()
	for b.Loop() {
		if res := leader.Get(path); res.Status != http.StatusOK {
			b.Fatal(res.Status)
		}
	}
}

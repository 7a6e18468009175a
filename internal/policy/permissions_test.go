package policy_test

import (
	"context"
	"fmt"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/policy"
	"tillit/internal/webtest"
)

// Staff write privately to a guardian of a child they work with, and to
// no one else: not to a guardian cut off from information, not to a
// guardian of another child, not from another group or kindergarten.
func TestChildGuardianStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		cases := []struct {
			who, child, guardian int64
			want                 bool
			why                  string
		}{
			{w.Leader, w.ChildA1, w.Parent, true, "leader of the child's group, guardian with parental responsibility"},
			{w.Leader, w.ChildA1, w.Coparent, true, "guardian without parental responsibility"},
			{w.Leader, w.ChildA2, w.Pending, true, "a guardian who has not accepted the invitation yet"},
			{w.Manager, w.ChildA1, w.Parent, true, "the manager"},
			{w.Owner, w.ChildA1, w.Coparent, true, "the owner admin"},
			{w.Leader, w.ChildA1, w.Blocked, false, "guardian with no access to information"},
			{w.Manager, w.ChildA1, w.Blocked, false, "not even the manager to a guardian with no access to information"},
			{w.Leader, w.ChildA1, w.ParentB, false, "a guardian of another child"},
			{w.Leader, w.ChildA1, w.Leader, false, "a person who is not a guardian"},
			{w.Leader, w.ChildA1, 0, false, "no person"},
			{w.Assistant, w.ChildA1, w.Parent, false, "staff of another group"},
			{w.Leader, w.ChildB1, w.ParentB, false, "a child of another group"},
			{w.OtherManager, w.ChildA1, w.Parent, false, "another kindergarten's manager"},
			{w.Manager, w.OtherChild, w.OtherParent, false, "the other kindergarten's child"},
			{w.Parent, w.ChildA1, w.Coparent, false, "a parent"},
			{w.Coparent, w.ChildA1, w.Coparent, false, "the guardian themself"},
		}
		for _, tc := range cases {
			a, err := policy.Load(ctx, d.R, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			pv := func(name string) string {
				switch name {
				case "id":
					return fmt.Sprint(tc.child)
				case "pid":
					return fmt.Sprint(tc.guardian)
				}
				return ""
			}
			got, err := policy.ChildGuardianStaff.Allowed(ctx, d.R, a, pv)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: allowed %v, want %v", tc.why, got, tc.want)
			}
		}
		// Anonymous: no.
		if ok, _ := policy.ChildGuardianStaff.Allowed(ctx, d.R, nil, func(string) string { return "1" }); ok {
			t.Error("anonymous allowed")
		}
	})
}

package webtest

import (
	"context"
	"database/sql"
	"testing"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/messaging"
)

// Password is every fixture person's password.
const Password = "fixture-password-1"

// World is a small, complete fixture: one organisation with a
// kindergarten of two groups and its people, and a second organisation
// with its own kindergarten ("other") to try to reach.
type World struct {
	Org, Kg, GroupA, GroupB int64
	// Logins: owner, manager, leader (group A), assistant (group B),
	// parent (child A1, parental responsibility), coparent (child A1, no
	// parental responsibility), blocked (child A1, no access to
	// information), parentB (child B1), otherManager, otherParent.
	Owner, Manager, Leader, Assistant         int64
	Parent, Coparent, Blocked, ParentB        int64
	ChildA1, ChildA2, ChildB1                 int64
	OtherOrg, OtherKg, OtherGroup, OtherChild int64
	OtherManager, OtherParent                 int64
	Pending                                   int64 // a guardian of A2 who has not accepted yet
	// Thread is child A1's thread with Message from the leader to the
	// parent, who asked for an interpreter (Followup); the Other* are the
	// same in the other kindergarten.
	Thread, Message, Followup                int64
	OtherThread, OtherMessage, OtherFollowup int64
	PendingInvitation                        *auth.NewInvitation
}

// Logins maps role names used in tests to logins.
var Logins = []string{"owner", "manager", "leader", "assistant", "parent", "coparent", "blocked", "parentb", "othermanager", "otherparent"}

// NewWorld fills d with the fixture.
func NewWorld(t testing.TB, d *db.DB) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	person := func(login, name string, langs ...string) int64 {
		t.Helper()
		p := &directory.Person{Name: name, Login: login, Languages: langs, Email: login + "@example.org"}
		id := must(directory.CreatePerson(ctx, d.W, p))
		if err := directory.SetLogin(ctx, d.W, id, login, hash); err != nil {
			t.Fatal(err)
		}
		return id
	}
	role := func(p, org, kg int64, r string) {
		t.Helper()
		if err := directory.AddStaffRole(ctx, d.W, p, org, kg, r); err != nil {
			t.Fatal(err)
		}
	}
	link := func(c, p int64, pr, noInfo bool) {
		t.Helper()
		if err := directory.SetLink(ctx, d.W, directory.Link{ChildID: c, PersonID: p, ParentalResponsibility: pr, LivesWith: pr, NoInformation: noInfo}); err != nil {
			t.Fatal(err)
		}
	}
	child := func(kg, g int64, first string) int64 {
		return must(directory.CreateChild(ctx, d.W, &directory.Child{KindergartenID: kg, GroupID: g, FirstName: first, LastName: "Fixture", BirthDate: "2022-03-04"}))
	}
	w.Org = must(directory.CreateOrganisation(ctx, d.W, "Fixture kommune", "municipality"))
	w.Kg = must(directory.CreateKindergarten(ctx, d.W, w.Org, "Fixture barnehage"))
	w.GroupA = must(directory.CreateGroup(ctx, d.W, w.Kg, "Blåbær"))
	w.GroupB = must(directory.CreateGroup(ctx, d.W, w.Kg, "Tyttebær"))
	w.Owner = person("owner", "Olga Owner")
	role(w.Owner, w.Org, 0, "owner_admin")
	w.Manager = person("manager", "Mona Manager")
	role(w.Manager, w.Org, w.Kg, "manager")
	w.Leader = person("leader", "Lars Leader", "nb", "ar")
	role(w.Leader, w.Org, w.Kg, "pedagogical_leader")
	directory.AssignGroup(ctx, d.W, w.Leader, w.GroupA)
	w.Assistant = person("assistant", "Asta Assistant")
	role(w.Assistant, w.Org, w.Kg, "assistant")
	directory.AssignGroup(ctx, d.W, w.Assistant, w.GroupB)
	w.ChildA1 = child(w.Kg, w.GroupA, "Amina")
	w.ChildA2 = child(w.Kg, w.GroupA, "Aron")
	w.ChildB1 = child(w.Kg, w.GroupB, "Birk")
	w.Parent = person("parent", "Pedro Parent", "ti", "en")
	link(w.ChildA1, w.Parent, true, false)
	w.Coparent = person("coparent", "Cora Coparent", "ar")
	link(w.ChildA1, w.Coparent, false, false)
	w.Blocked = person("blocked", "Boris Blocked", "ru")
	link(w.ChildA1, w.Blocked, false, true)
	w.ParentB = person("parentb", "Bea ParentB", "nb")
	link(w.ChildB1, w.ParentB, true, false)
	w.Pending = must(directory.CreatePerson(ctx, d.W, &directory.Person{Name: "Petra Pending", Languages: []string{"uk"}}))
	link(w.ChildA2, w.Pending, true, false)
	w.PendingInvitation, err = auth.CreateInvitation(ctx, d.W, w.Pending, w.Kg, w.Leader)
	if err != nil {
		t.Fatal(err)
	}
	w.OtherOrg = must(directory.CreateOrganisation(ctx, d.W, "Annen AS", "private"))
	w.OtherKg = must(directory.CreateKindergarten(ctx, d.W, w.OtherOrg, "Annen barnehage"))
	w.OtherGroup = must(directory.CreateGroup(ctx, d.W, w.OtherKg, "Rev"))
	w.OtherChild = child(w.OtherKg, w.OtherGroup, "Olav")
	w.OtherManager = person("othermanager", "Otto OtherManager")
	role(w.OtherManager, w.OtherOrg, w.OtherKg, "manager")
	w.OtherParent = person("otherparent", "Oda OtherParent", "pl")
	link(w.OtherChild, w.OtherParent, true, false)
	w.Thread, w.Message, w.Followup = conversation(t, d, w.ChildA1, w.Leader, w.Parent)
	w.OtherThread, w.OtherMessage, w.OtherFollowup = conversation(t, d, w.OtherChild, w.OtherManager, w.OtherParent)
	return w
}

// conversation starts the child's thread with a message from staff that
// the guardian answers "I need an interpreter".
func conversation(t testing.TB, d *db.DB, child, staff, guardian int64) (thread, msg, followup int64) {
	t.Helper()
	ctx := context.Background()
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		th, err := messaging.ChildThread(ctx, tx, child, staff)
		if err != nil {
			return err
		}
		s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: staff, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Husk ekstra votter i morgen."})
		if err != nil {
			return err
		}
		if err := messaging.Answer(ctx, tx, s.MessageID, guardian, messaging.Interpreter); err != nil {
			return err
		}
		thread, msg = th.ID, s.MessageID
		return tx.QueryRowContext(ctx, `SELECT id FROM followups WHERE message_id = $1`, msg).Scan(&followup)
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

package app

import (
	"tillit/internal/feature/admin"
	"tillit/internal/feature/attachments"
	"tillit/internal/feature/conversations"
	"tillit/internal/feature/family"
	"tillit/internal/feature/groups"
	"tillit/internal/feature/home"
	"tillit/internal/feature/importer"
	"tillit/internal/feature/invitations"
	"tillit/internal/feature/live"
	"tillit/internal/feature/messagecenter"
	"tillit/internal/feature/passkey"
	"tillit/internal/feature/profile"
	"tillit/internal/feature/push"
	"tillit/internal/feature/recordings"
	"tillit/internal/feature/signin"
	"tillit/internal/feature/smsinbound"
	"tillit/internal/policy"
	"tillit/internal/web"
)

// Route is one entry of the route table: a Go 1.22 pattern, the
// permission it requires (checked before the handler runs; "no" is 404),
// and the handler.
type Route struct {
	Pattern string
	Perm    policy.Permission
	Handler web.Handler
	// MaxBody overrides web.DefaultMaxBody for routes that take files.
	MaxBody int64
}

// Routes is every route Tillit serves. Nothing is served that is not here,
// and the authorization matrix test fails for a route it does not list.
var Routes = []Route{
	// Open to everyone.
	{"GET /healthz", policy.Public, home.Health, 0},
	{"GET /static/{hash}/{name}", policy.Public, web.ServeStatic, 0},
	{"GET /{$}", policy.Public, home.Get, 0},
	{"POST /language", policy.Public, home.SetLanguage, 0},
	{"GET /login", policy.Public, signin.Form, 0},
	{"POST /login", policy.Public, signin.Submit, 0},
	{"GET /invite", policy.Public, signin.CodeForm, 0},
	{"POST /invite", policy.Public, signin.CodeSubmit, 0},
	{"GET /invite/{token}", policy.Public, signin.AcceptForm, 0},
	{"POST /invite/{token}", policy.Public, signin.AcceptSubmit, 0},
	{"POST /login/passkey/begin", policy.Public, passkey.LoginBegin, 0},
	{"POST /login/passkey/finish", policy.Public, passkey.LoginFinish, 0},
	{"POST /api/v1/login", policy.Public, signin.APILogin, 0},
	{"GET /sw.js", policy.Public, push.ServiceWorker, 0},
	{"POST /sms/inbound", policy.Public, smsinbound.Inbound, 0},

	// Anyone signed in, about themselves.
	{"POST /logout", policy.SignedIn, signin.Logout, 0},
	{"GET /events", policy.SignedIn, live.Events, 0},
	{"GET /api/v1/me", policy.SignedIn, signin.APIMe, 0},
	{"POST /api/v1/logout", policy.SignedIn, signin.APILogout, 0},
	{"GET /profile", policy.SignedIn, profile.Get, 0},
	{"POST /profile", policy.SignedIn, profile.Save, 0},
	{"POST /profile/password", policy.SignedIn, profile.Password, 0},
	{"POST /profile/sessions/{id}/end", policy.OwnSession, profile.EndSession, 0},
	{"POST /profile/passkeys/begin", policy.SignedIn, passkey.RegisterBegin, 0},
	{"POST /profile/passkeys/finish", policy.SignedIn, passkey.RegisterFinish, 0},
	{"POST /profile/passkeys/{id}/delete", policy.OwnPasskey, passkey.Delete, 0},
	{"POST /push/subscriptions", policy.SignedIn, push.Subscribe, 0},
	{"POST /push/subscriptions/delete", policy.SignedIn, push.Unsubscribe, 0},

	// Guardians.
	{"GET /family", policy.Guardian, family.Get, 0},
	{"GET /children/{id}", policy.ChildView, family.Child, 0},

	// Staff.
	{"GET /groups", policy.AnyStaff, groups.List, 0},
	{"GET /groups/{id}", policy.GroupStaff, groups.Get, 0},
	{"POST /children/{id}/guardians", policy.ChildStaff, invitations.AddGuardian, 0},
	{"GET /invitations/{id}", policy.InvitationView, invitations.Show, 0},
	{"POST /invitations/{id}/renew", policy.InvitationView, invitations.Renew, 0},

	// Conversations: guardians and staff.
	{"GET /inbox", policy.SignedIn, conversations.Inbox, 0},
	{"GET /threads/{id}", policy.ThreadView, conversations.Thread, 0},
	{"POST /threads/{id}/messages", policy.ThreadView, conversations.Reply, conversations.MaxUpload},
	{"POST /messages/{id}/answer", policy.MessageRecipient, conversations.Answer, 0},
	{"POST /children/{id}/messages", policy.ChildView, conversations.ChildMessage, conversations.MaxUpload},
	{"POST /children/{id}/guardians/{pid}/messages", policy.ChildGuardianStaff, conversations.GuardianMessage, conversations.MaxUpload},
	{"GET /attachments/{id}", policy.AttachmentView, attachments.Get, 0},

	// The group's message centre (staff).
	{"GET /groups/{id}/messages", policy.GroupStaff, messagecenter.Group, 0},
	{"GET /groups/{id}/compose", policy.GroupStaff, messagecenter.Compose, 0},
	{"POST /groups/{id}/announcements", policy.GroupStaff, messagecenter.Announce, messagecenter.MaxUpload},
	{"GET /messages/{id}/receipts", policy.MessageStaff, messagecenter.Receipts, 0},
	{"POST /messages/{id}/resend", policy.MessageStaff, messagecenter.Resend, 0},
	{"POST /messages/{id}/translations/{lang}", policy.MessageStaff, conversations.CorrectTranslation, 0},
	{"POST /followups/{id}/done", policy.FollowupStaff, messagecenter.FollowupDone, 0},

	// Phrasebook entries read aloud: staff record in the languages they
	// know; the kindergarten's families hear them with messages.
	{"GET /k/{kg}/recordings", policy.KindergartenStaff, recordings.List, 0},
	{"GET /k/{kg}/recordings/{key}", policy.KindergartenStaff, recordings.Entry, 0},
	{"POST /k/{kg}/recordings/{key}/{lang}", policy.KindergartenStaff, recordings.Save, recordings.MaxBody},
	{"POST /k/{kg}/recordings/{key}/{lang}/delete", policy.KindergartenStaff, recordings.Delete, 0},
	{"GET /k/{kg}/recordings/{key}/{lang}/audio", policy.KindergartenMember, recordings.Audio, 0},

	// Announcements to the whole kindergarten: only its manager and the
	// owner admin send them (docs/messaging.md).
	{"GET /k/{kg}/messages", policy.KindergartenAdmin, messagecenter.Kindergarten, 0},
	{"GET /k/{kg}/compose", policy.KindergartenAdmin, messagecenter.KindergartenCompose, 0},
	{"POST /k/{kg}/announcements", policy.KindergartenAdmin, messagecenter.KindergartenAnnounce, messagecenter.MaxUpload},

	// The kindergarten's administration (manager, owner admin).
	{"GET /admin", policy.AnyStaff, admin.Home, 0},
	{"GET /k/{kg}/admin", policy.KindergartenAdmin, admin.Kindergarten, 0},
	{"POST /k/{kg}/groups", policy.KindergartenAdmin, admin.CreateGroup, 0},
	{"POST /groups/{id}/edit", policy.GroupAdmin, admin.EditGroup, 0},
	{"GET /k/{kg}/children", policy.KindergartenAdmin, admin.Children, 0},
	{"POST /k/{kg}/children", policy.KindergartenAdmin, admin.CreateChild, 0},
	{"GET /children/{id}/edit", policy.ChildAdmin, admin.ChildEditForm, 0},
	{"POST /children/{id}/edit", policy.ChildAdmin, admin.ChildEdit, 0},
	{"POST /children/{id}/guardians/{pid}", policy.ChildGuardianAdmin, admin.LinkEdit, 0},
	{"GET /k/{kg}/staff", policy.KindergartenAdmin, admin.Staff, 0},
	{"POST /k/{kg}/staff", policy.KindergartenAdmin, admin.InviteStaff, 0},
	{"GET /k/{kg}/staff/{pid}", policy.StaffMemberAdmin, admin.StaffMember, 0},
	{"POST /k/{kg}/staff/{pid}", policy.StaffMemberAdmin, admin.StaffMemberSave, 0},
	{"GET /k/{kg}/guardians", policy.KindergartenAdmin, admin.Guardians, 0},
	{"GET /k/{kg}/guardians/{pid}", policy.GuardianAdmin, admin.Guardian, 0},
	{"POST /k/{kg}/guardians/{pid}", policy.GuardianAdmin, admin.GuardianSave, 0},
	{"POST /k/{kg}/guardians/{pid}/invite", policy.GuardianAdmin, invitations.InviteGuardian, 0},
	{"GET /k/{kg}/import", policy.KindergartenAdmin, importer.Form, 0},
	{"POST /k/{kg}/import", policy.KindergartenAdmin, importer.Submit, 3 << 20},
	{"GET /o/{org}", policy.OrganisationAdmin, admin.Organisation, 0},
	{"POST /o/{org}/kindergartens", policy.OrganisationAdmin, admin.CreateKindergarten, 0},
}

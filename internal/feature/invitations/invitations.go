// Package invitations hands out accounts: the manager invites staff, staff
// invite guardians. An invitation is shown once — a link, a short code to
// type at /invite, and a QR code of the link — and only hashes of the
// secrets are stored, so the page can never be shown again: "make a new
// code" replaces it instead. Accepting is package signin's job.
package invitations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tillit/internal/auth"
	"tillit/internal/channels"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/importcsv"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// guideKey is a key every guide string set has; a language that lacks it
// is not translated yet, and the guide falls back (see guideLocalizer).
const guideKey = "invitations.guide.title"

// guide is the printable "how to start" text in one language.
type guide struct {
	Lang, Dir                  string
	Title, Step1, Step2, Step3 string
	Valid                      string
	StartURL, Code             string
}

func newGuide(l *i18n.Localizer, startURL, code string, expires time.Time) guide {
	return guide{
		Lang: l.Lang.Code, Dir: l.Dir(),
		Title:    l.T("invitations.guide.title"),
		Step1:    l.T("invitations.guide.step1"),
		Step2:    l.T("invitations.guide.step2"),
		Step3:    l.T("invitations.guide.step3"),
		Valid:    l.T("invitations.guide.valid", "Date", l.Date(expires)),
		StartURL: startURL, Code: code,
	}
}

// guideLocalizer is a Localizer for the invited person's language, or —
// while that language has no translation of the guide yet — for English,
// so that the lang attribute always names the language the text is in.
func guideLocalizer(lang string) *i18n.Localizer {
	l := i18n.New(lang)
	if i18n.Has(l.Lang.Code, guideKey) {
		return l
	}
	if i18n.Has("en", guideKey) {
		return i18n.New("en")
	}
	return i18n.New(i18n.Source)
}

type presentData struct {
	ID           int64
	Name         string
	Kindergarten string
	Code         string
	Link         string
	QR           template.HTML
	Expires      time.Time
	Reader       guide
	Invited      *guide // nil when the invited person reads the reader's language
	// Mail is what happened to the e-mail with the link: "" (no mailer
	// configured), "sent", "no_address" or "failed".
	Mail   string
	MailTo string // the address it was sent to
}

// Outcomes of sending the invitation by e-mail.
const (
	mailSent      = "sent"
	mailNoAddress = "no_address"
	mailFailed    = "failed"
)

// mailKey is a key every invitation e-mail string set has.
const mailKey = "invitations.mail.subject"

// mailTimeout bounds the SMTP session so a slow mail server cannot hold
// the staff member's page for long; the code is on the page anyway.
const mailTimeout = 15 * time.Second

// inviteMail is the invitation e-mail in the invited person's language:
// who invites, the link, the code, until when, and "ignore it if you did
// not expect it". It names no child and no other personal data.
func inviteMail(lang, to, kindergarten, startURL, link, code string, expires time.Time) channels.Mail {
	l := i18n.New(lang)
	if !i18n.Has(l.Lang.Code, mailKey) {
		l = i18n.New("en")
	}
	body := strings.Join([]string{
		l.T("invitations.mail.greeting"),
		"",
		l.T("invitations.mail.intro", "Kindergarten", kindergarten),
		"",
		l.T("invitations.mail.link"),
		link,
		"",
		l.T("invitations.mail.code", "URL", startURL),
		code,
		"",
		l.T("invitations.guide.valid", "Date", l.Date(expires)),
		"",
		l.T("invitations.mail.ignore"),
		"",
		kindergarten,
	}, "\n")
	return channels.Mail{To: to, Subject: l.T("invitations.mail.subject", "Kindergarten", kindergarten), TextBody: body, Lang: l.Lang.Code}
}

// sendInvitation e-mails the invitation when the person has an address
// and a mailer is configured. A failure is logged (without the address)
// and reported on the page; it never undoes the invitation.
func sendInvitation(c *web.Ctx, m channels.Mail) string {
	if strings.TrimSpace(m.To) == "" {
		return mailNoAddress
	}
	ctx, cancel := context.WithTimeout(c.Context(), mailTimeout)
	defer cancel()
	if err := c.Env.Mail.SendMail(ctx, m); err != nil {
		if c.Env.Log != nil {
			c.Env.Log.Warn("invitation e-mail not sent", "err", err)
		}
		return mailFailed
	}
	return mailSent
}

// Present shows a fresh invitation: for whom, the code in large type, the
// link, a QR code of the link, the expiry date, and printable "how to
// start" instructions in the reader's language and in the invited
// person's own language. When the person has an e-mail address and a
// mailer is configured, the link is also e-mailed to them in their own
// language, and the page tells whether that worked; a failed e-mail never
// fails the invitation. It answers 200 to the POST that created the
// invitation — no redirect, so the secrets never appear in a URL or in the
// browser's history — and the page is not cached (Render sends no-store).
func Present(c *web.Ctx, inv *auth.NewInvitation, personName string) error {
	var kgName, uiLang, email string
	var expires int64
	err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT k.name, p.ui_language, COALESCE(p.email, ''), i.expires_at
		FROM invitations i JOIN kindergartens k ON k.id = i.kindergarten_id JOIN people p ON p.id = i.person_id
		WHERE i.id = $1`, inv.ID).Scan(&kgName, &uiLang, &email, &expires)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return web.ErrNotFound
		}
		return err
	}
	link := c.Env.BaseURL + "/invite/" + inv.Token
	qrSVG, err := QRSVG(link, c.T("invitations.qr_label"))
	if err != nil {
		return err
	}
	exp := time.Unix(expires, 0)
	start := c.Env.BaseURL + "/invite"
	d := presentData{ID: inv.ID, Name: personName, Kindergarten: kgName, Code: inv.Code, Link: link, QR: qrSVG,
		Expires: exp, Reader: newGuide(c.L, start, inv.Code, exp)}
	if gl := guideLocalizer(uiLang); gl.Lang.Code != c.L.Lang.Code {
		g := newGuide(gl, start, inv.Code, exp)
		d.Invited = &g
	}
	if c.Env.Mail != nil {
		email = strings.TrimSpace(email)
		d.Mail = sendInvitation(c, inviteMail(uiLang, email, kgName, start, link, inv.Code, exp))
		if d.Mail == mailSent {
			d.MailTo = email
		}
	}
	c.Render(http.StatusOK, pages, "present", &web.Page{Title: c.T("invitations.present.title"), Data: d})
	return nil
}

// pathID reads a numeric path parameter (the router has already checked
// that the object exists and may be used).
func pathID(c *web.Ctx, name string) (int64, error) {
	n, err := strconv.ParseInt(c.R.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, web.ErrNotFound
	}
	return n, nil
}

// The add-guardian form's fields. The admin child page and the staff group
// page post the same names to POST /children/{id}/guardians.
const (
	fName      = "name"
	fEmail     = "email"
	fPhone     = "phone"
	fLanguages = "languages" // several values, launch language codes, first = preferred
	fPR        = "parental_responsibility"
	fLivesWith = "lives_with"
)

type addData struct {
	Child     *directory.Child
	Preferred string          // first chosen language
	Others    map[string]bool // the other chosen languages
	Languages []i18n.Language
	Problem   string // i18n key of a problem with the whole form (duplicate)
}

func checked(c *web.Ctx, name string) bool {
	if !c.R.PostForm.Has(name) {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(c.R.PostForm.Get(name))) {
	case "0", "false", "no", "nei", "off":
		return false
	}
	return true
}

// formKey maps an importcsv problem code to a form message key.
func formKey(code string) string {
	switch code {
	case importcsv.CodeRequired, importcsv.CodeTooLong, importcsv.CodeBidiChars, importcsv.CodeControlChars,
		importcsv.CodeMarkupChars, importcsv.CodeInvalidEmail, importcsv.CodeInvalidPhone, importcsv.CodeUnknownLanguage:
		return "form." + code
	}
	return "form.invalid"
}

// errDuplicate stops the transaction when the guardian is already linked.
var errDuplicate = errors.New("guardian already linked")

// AddGuardian creates a guardian of child {id}, links them to the child
// and invites them, in one transaction, then presents the invitation.
// Staff of the child's group and the manager may do it (the router checks).
func AddGuardian(c *web.Ctx) error {
	ctx := c.Context()
	childID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	child, err := directory.GetChild(ctx, c.Env.DB.R, childID)
	if err != nil {
		return err
	}
	f := c.R.PostForm
	form := map[string]string{fName: f.Get(fName), fEmail: f.Get(fEmail), fPhone: f.Get(fPhone)}
	pr, lives := checked(c, fPR), checked(c, fLivesWith)
	if pr {
		form[fPR] = "1"
	}
	if lives {
		form[fLivesWith] = "1"
	}
	errs := map[string]string{}
	name, code := importcsv.ValidateName(f.Get(fName))
	if code != "" {
		errs[fName] = formKey(code)
	}
	email, code := importcsv.ValidateEmail(f.Get(fEmail))
	if code != "" {
		errs[fEmail] = formKey(code)
	}
	phone, code := importcsv.NormalizePhone(f.Get(fPhone))
	if code != "" {
		errs[fPhone] = formKey(code)
	}
	var typed []string
	for _, v := range f[fLanguages] {
		typed = append(typed, strings.Fields(v)...)
	}
	langs, code := importcsv.ParseLanguages(strings.Join(typed, " "))
	if code != "" {
		errs[fLanguages] = formKey(code)
		langs = nil
		for _, v := range typed { // keep the valid choices ticked
			if i18n.Valid(v) {
				l, _ := i18n.Lookup(v)
				langs = append(langs, l.Code)
			}
		}
	}
	data := addData{Child: child, Languages: i18n.Languages, Others: map[string]bool{}}
	for i, l := range langs {
		if i == 0 {
			data.Preferred = l
		} else {
			data.Others[l] = true
		}
	}
	if len(errs) > 0 {
		return addPage(c, http.StatusBadRequest, data, errs, form)
	}

	p := &directory.Person{Name: name, Email: email, Phone: phone, Languages: langs}
	if len(langs) > 0 {
		p.UILanguage = langs[0]
	}
	var inv *auth.NewInvitation
	var dupField string
	err = c.Env.DB.Tx(ctx, func(tx *sql.Tx) error {
		dupField, err = duplicate(ctx, tx, childID, name, email)
		if err != nil {
			return err
		}
		if dupField != "" {
			return errDuplicate
		}
		pid, err := directory.CreatePerson(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := directory.SetLink(ctx, tx, directory.Link{ChildID: childID, PersonID: pid, ParentalResponsibility: pr, LivesWith: lives}); err != nil {
			return err
		}
		inv, err = auth.CreateInvitation(ctx, tx, pid, child.KindergartenID, c.Actor.PersonID)
		return err
	})
	if errors.Is(err, errDuplicate) {
		data.Problem = "invitations.add.duplicate_" + dupField
		return addPage(c, http.StatusConflict, data, map[string]string{dupField: "invitations.add.duplicate_" + dupField}, form)
	}
	if err != nil {
		return err
	}
	return Present(c, inv, name)
}

// duplicate reports which field ("email" or "name") shows that the same
// guardian is already linked to the child: the same non-empty e-mail, or
// the same name (both compared ignoring case). The name check also stops a
// second person when the invitation page is reloaded, which re-posts the
// form.
func duplicate(ctx context.Context, tx *sql.Tx, childID int64, name, email string) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.name, p.email FROM guardianships g JOIN people p ON p.id = g.person_id WHERE g.child_id = $1`, childID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	field := ""
	for rows.Next() {
		var n, e string
		if err := rows.Scan(&n, &e); err != nil {
			return "", err
		}
		switch {
		case email != "" && strings.EqualFold(strings.TrimSpace(e), email):
			field = fEmail
		case field == "" && strings.EqualFold(strings.Join(strings.Fields(n), " "), name):
			field = fName
		}
	}
	return field, rows.Err()
}

func addPage(c *web.Ctx, status int, d addData, errs, form map[string]string) error {
	c.Render(status, pages, "add", &web.Page{Title: c.T("invitations.add.title"), Data: d, Errors: errs, Form: form})
	return nil
}

type problemData struct {
	Message  string // i18n key
	Name     string
	Back     string // a local URL
	BackText string // i18n key
}

// InviteGuardian makes a new invitation for guardian {pid} of
// kindergarten {kg} (the manager; the router checks that pid is a guardian
// there). Any older open invitation stops working. Someone who already has
// an account gets 409.
func InviteGuardian(c *web.Ctx) error {
	ctx := c.Context()
	kg, err := pathID(c, "kg")
	if err != nil {
		return err
	}
	pid, err := pathID(c, "pid")
	if err != nil {
		return err
	}
	p, err := directory.GetPerson(ctx, c.Env.DB.R, pid)
	if err != nil {
		return err
	}
	if p.Login != "" {
		c.Render(http.StatusConflict, pages, "problem", &web.Page{Title: c.T("invitations.has_account.title"),
			Data: problemData{Message: "invitations.has_account", Name: p.Name,
				Back: "/k/" + strconv.FormatInt(kg, 10) + "/guardians/" + strconv.FormatInt(pid, 10), BackText: "invitations.back_guardian"}})
		return nil
	}
	inv, err := auth.CreateInvitation(ctx, c.Env.DB.W, pid, kg, c.Actor.PersonID)
	if err != nil {
		return err
	}
	return Present(c, inv, p.Name)
}

// status is a stored invitation as the status page shows it: no secrets,
// only their hashes are stored.
type status struct {
	ID             int64
	PersonID       int64
	KindergartenID int64
	Name           string
	Kindergarten   string
	HasLogin       bool
	CreatedBy      string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	AcceptedAt     time.Time
	State          string // pending, accepted, expired
	Problem        string // i18n key of why renewing was refused
}

func loadStatus(ctx context.Context, c *web.Ctx, id int64) (*status, error) {
	s := &status{ID: id}
	var login sql.NullString
	var created, expires int64
	var accepted sql.NullInt64
	err := c.Env.DB.R.QueryRowContext(ctx, `SELECT i.person_id, i.kindergarten_id, p.name, p.login, k.name, COALESCE(b.name, ''),
		i.created_at, i.expires_at, i.accepted_at
		FROM invitations i JOIN people p ON p.id = i.person_id JOIN kindergartens k ON k.id = i.kindergarten_id
		LEFT JOIN people b ON b.id = i.created_by WHERE i.id = $1`, id).
		Scan(&s.PersonID, &s.KindergartenID, &s.Name, &login, &s.Kindergarten, &s.CreatedBy, &created, &expires, &accepted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.HasLogin = login.Valid && login.String != ""
	s.CreatedAt, s.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
	switch {
	case accepted.Valid:
		s.State, s.AcceptedAt = "accepted", time.Unix(accepted.Int64, 0)
	case time.Now().After(s.ExpiresAt):
		s.State = "expired"
	default:
		s.State = "pending"
	}
	return s, nil
}

// Show tells the status of invitation {id} — waiting (until when),
// accepted or expired — and offers a new code. The creator and the manager
// may see it (the router checks).
func Show(c *web.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	s, err := loadStatus(c.Context(), c, id)
	if err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "show", &web.Page{Title: c.T("invitations.show.title"), Data: s})
	return nil
}

// Renew makes a new code and link for the same person and kindergarten;
// the old link and code stop working, and the invitation keeps its id. An accepted invitation, or a person who
// already has an account, gets 409: a new code would let whoever holds it
// replace the person's username and password.
func Renew(c *web.Ctx) error {
	ctx := c.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	s, err := loadStatus(ctx, c, id)
	if err != nil {
		return err
	}
	switch {
	case s.State == "accepted":
		s.Problem = "invitations.renew.accepted"
	case s.HasLogin:
		s.Problem = "invitations.has_account"
	}
	if s.Problem != "" {
		c.Render(http.StatusConflict, pages, "show", &web.Page{Title: c.T("invitations.show.title"), Data: s})
		return nil
	}
	inv, err := auth.RenewInvitation(ctx, c.Env.DB.W, id)
	if errors.Is(err, auth.ErrInvitationAccepted) {
		s.State, s.Problem = "accepted", "invitations.renew.accepted"
		c.Render(http.StatusConflict, pages, "show", &web.Page{Title: c.T("invitations.show.title"), Data: s})
		return nil
	}
	if err != nil {
		return err
	}
	return Present(c, inv, s.Name)
}

// Package family is what a guardian sees of their children, and the
// child's page that staff and guardians share:
//
//   - GET /family: "my family", one card per child the guardian may see,
//     with the child's other guardians, the group's staff and the
//     guardian's own language settings;
//   - GET /children/{id}: one child. Guardians get the same card; staff of
//     the child's group get every guardian with the rights of their link
//     (who must not pick up, who gets no information), languages and how
//     to reach them, and a form to add a guardian.
//
// The privacy rules it keeps (see package policy for who gets in at all):
//   - a guardian never learns about restrictions on other people's links
//     (no access to information, must not pick up);
//   - a guardian sees the other guardians' phone and e-mail only if they
//     have parental responsibility for the child themselves, and never for
//     a guardian with a confidential address;
//   - addresses are shown only to the kindergarten's manager and the owner
//     admin, and a strictly confidential address not even to them here
//     (only on the child's edit page).
package family

import (
	"database/sql"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tillit/internal/feature/conversations"
	"tillit/internal/i18n"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// Card is one child as a guardian sees it.
type Card struct {
	ID           int64
	FirstName    string
	LastName     string
	Kindergarten string
	Group        string
	groupID      int64
	Birth        Birth
	// ViewerResponsible: the viewer has parental responsibility, so the
	// other guardians' contact details may be shown.
	ViewerResponsible bool
	Guardians         []CoGuardian
	Staff             []StaffMember
}

// Birth is a birth date for display.
type Birth struct {
	Date time.Time // zero when the stored date does not parse
	Raw  string
	Age  int
}

// CoGuardian is another guardian of the child, as a guardian may see
// them: nothing about the restrictions of their link, no address.
type CoGuardian struct {
	Name                   string
	ParentalResponsibility bool
	LivesWith              bool
	Languages              []string // display names
	// ShowContact: the viewer may see Phone and Email; Hidden: they are
	// withheld because of a confidential address.
	ShowContact bool
	Hidden      bool
	Phone       Phone
	Email       string
}

// StaffMember is a person working in a child's group.
type StaffMember struct {
	Name string
	Role string // i18n key
}

// Phone is a phone number with its tel: link.
type Phone struct {
	Text string
	Link template.URL
}

// Me is the viewer's own communication settings.
type Me struct {
	Languages           []string
	InfoPreference      string // i18n key
	NeedsInterpreter    bool
	InterpreterLanguage string
	InterpreterDialect  string
}

// familyData is /family's page data.
type familyData struct {
	Children []*Card
	Me       Me
}

// Get shows the signed-in guardian's family.
func Get(c *web.Ctx) error {
	cards, err := loadCards(c, 0)
	if err != nil {
		return err
	}
	if len(cards) == 0 {
		return web.ErrNotFound
	}
	me, err := loadMe(c)
	if err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "family", &web.Page{Title: c.T("family.title"), Data: &familyData{Children: cards, Me: me}})
	return nil
}

// visible reports whether the actor's links let them see the child as a
// guardian: linked, and not cut off from information.
func visible(c *web.Ctx, child int64) bool {
	l, ok := c.Actor.Links[child]
	return ok && !l.NoInformation
}

// loadCards reads the cards of every child the actor may see as a
// guardian (only child when it is not 0), in four queries at most. Every
// query starts from the actor's own guardianship rows, so a child of
// another family cannot appear whatever the ids.
func loadCards(c *web.Ctx, only int64) ([]*Card, error) {
	ctx, q, me := c.Context(), c.Env.DB.R, c.Actor.PersonID
	args := []any{me}
	filter := ""
	if only != 0 {
		filter = " AND me.child_id = $2"
		args = append(args, only)
	}
	rows, err := q.QueryContext(ctx, `SELECT ch.id, ch.first_name, ch.last_name, ch.birth_date, k.name, COALESCE(g.id, 0), COALESCE(g.name, ''), me.parental_responsibility
		FROM guardianships me
		JOIN children ch ON ch.id = me.child_id
		JOIN kindergartens k ON k.id = ch.kindergarten_id
		LEFT JOIN groups g ON g.id = ch.group_id
		WHERE me.person_id = $1 AND me.no_information = FALSE`+filter+`
		ORDER BY ch.birth_date, ch.first_name, ch.id`, args...)
	if err != nil {
		return nil, err
	}
	var cards []*Card
	byID := map[int64]*Card{}
	for rows.Next() {
		k := &Card{}
		var birth string
		if err := rows.Scan(&k.ID, &k.FirstName, &k.LastName, &birth, &k.Kindergarten, &k.groupID, &k.Group, &k.ViewerResponsible); err != nil {
			rows.Close()
			return nil, err
		}
		if !visible(c, k.ID) {
			continue
		}
		k.Birth = parseBirth(birth, time.Now())
		cards = append(cards, k)
		byID[k.ID] = k
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cards) == 0 {
		return nil, err
	}

	// The other guardians. The restrictions of their links are not even
	// read, so that no page of this feature can show them to a guardian.
	rows, err = q.QueryContext(ctx, `SELECT o.child_id, p.name, p.email, p.phone, p.languages, p.confidential_address, o.parental_responsibility, o.lives_with
		FROM guardianships me
		JOIN guardianships o ON o.child_id = me.child_id AND o.person_id <> me.person_id
		JOIN people p ON p.id = o.person_id
		WHERE me.person_id = $1 AND me.no_information = FALSE`+filter+`
		ORDER BY p.name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child int64
		var g CoGuardian
		var email, phone, langs, conf string
		if err := rows.Scan(&child, &g.Name, &email, &phone, &langs, &conf, &g.ParentalResponsibility, &g.LivesWith); err != nil {
			rows.Close()
			return nil, err
		}
		k := byID[child]
		if k == nil {
			continue
		}
		g.Languages = langNames(c, strings.Fields(langs))
		switch {
		case !k.ViewerResponsible:
			// Without parental responsibility: no contact details at all.
		case conf != "":
			g.Hidden = true
		default:
			g.ShowContact, g.Email, g.Phone = true, email, phoneOf(phone)
		}
		k.Guardians = append(k.Guardians, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// The staff of the children's groups (names and roles only).
	rows, err = q.QueryContext(ctx, `SELECT DISTINCT ch.id, p.id, p.name, r.role
		FROM guardianships me
		JOIN children ch ON ch.id = me.child_id
		JOIN staff_groups sg ON sg.group_id = ch.group_id
		JOIN people p ON p.id = sg.person_id
		JOIN staff_roles r ON r.person_id = p.id AND r.kindergarten_id = ch.kindergarten_id
		WHERE me.person_id = $1 AND me.no_information = FALSE`+filter+`
		ORDER BY p.name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var child, pid int64
		var s StaffMember
		if err := rows.Scan(&child, &pid, &s.Name, &s.Role); err != nil {
			return nil, err
		}
		if k := byID[child]; k != nil {
			s.Role = "role." + s.Role
			k.Staff = append(k.Staff, s)
		}
	}
	return cards, rows.Err()
}

// loadMe reads the viewer's own language settings.
func loadMe(c *web.Ctx) (Me, error) {
	var m Me
	var langs, pref, il string
	err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT languages, info_preference, needs_interpreter, interpreter_language, interpreter_dialect FROM people WHERE id = $1`, c.Actor.PersonID).
		Scan(&langs, &pref, &m.NeedsInterpreter, &il, &m.InterpreterDialect)
	m.Languages = langNames(c, strings.Fields(langs))
	m.InfoPreference = "pref." + pref
	m.InterpreterLanguage = langName(c, il)
	return m, err
}

// Child shows one child: to staff of the child's group (and the
// kindergarten's administration) the staff view, to a guardian their
// card. The router has already checked that the actor may see the child.
func Child(c *web.Ctx) error {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil {
		return web.ErrNotFound
	}
	var org, kg, group int64
	if err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT k.organisation_id, k.id, COALESCE(ch.group_id, 0)
		FROM children ch JOIN kindergartens k ON k.id = ch.kindergarten_id WHERE ch.id = $1`, id).Scan(&org, &kg, &group); err != nil {
		if err == sql.ErrNoRows {
			return web.ErrNotFound
		}
		return err
	}
	if c.Actor.StaffOfGroup(org, kg, group) {
		return staffChild(c, id, c.Actor.AdminsKindergarten(org, kg))
	}
	if !visible(c, id) {
		return web.ErrNotFound
	}
	cards, err := loadCards(c, id)
	if err != nil {
		return err
	}
	if len(cards) != 1 {
		return web.ErrNotFound
	}
	k := cards[0]
	c.Render(http.StatusOK, pages, "child", &web.Page{Title: k.FirstName + " " + k.LastName, Data: k})
	return nil
}

// StaffChild is the child's page as staff of the group see it.
type StaffChild struct {
	ID           int64
	FirstName    string
	LastName     string
	Kindergarten string
	Group        string
	Birth        Birth
	// Conf is the conf.* key of the child's confidential address ("" if
	// none); Address is shown only to the administration, and never when
	// it is strictly confidential.
	Conf    string
	Address string
	// Admin: the viewer is the kindergarten's manager or owner admin.
	Admin     bool
	Guardians []Guardian
	// NoPickup and NoInformation name the guardians with those
	// restrictions, for the warning at the top.
	NoPickup      []string
	NoInformation []string
	// Languages are the choices of the add-guardian form.
	Languages []i18n.Language
	// Messages: the child's shared thread (nil before its first
	// message), who it reaches, the form to write in it, and the
	// guardians staff may write to privately.
	Thread   *ThreadLink
	SharedTo []string
	Shared   conversations.Form
	Private  []PrivateTarget
}

// ThreadLink is a thread on the child's page: how much is in it, and when
// the last message came.
type ThreadLink struct {
	ID    int64
	Count int
	Last  time.Time
}

// PrivateTarget is a guardian staff may write to privately about the
// child: linked without "no access to information", whether they have
// parental responsibility or not, signed up or not (they read it once
// they accept their invitation).
type PrivateTarget struct {
	Name                   string
	ParentalResponsibility bool
	Pending                bool
	Thread                 *ThreadLink // nil before the first message
	Form                   conversations.Form
}

// Guardian is a guardian of the child as staff see them.
type Guardian struct {
	Name                   string
	ParentalResponsibility bool
	LivesWith              bool
	NoInformation          bool
	NoPickup               bool
	// Pending: has not signed up (accepted an invitation) yet.
	Pending             bool
	Languages           []string
	InfoPreference      string // i18n key
	NeedsInterpreter    bool
	InterpreterLanguage string
	InterpreterDialect  string
	Phone               Phone
	Email               string
	Conf                string // conf.* key or ""
	Address             string // only for the administration
}

// staffChild renders the staff view of child id.
func staffChild(c *web.Ctx, id int64, admin bool) error {
	ctx, q := c.Context(), c.Env.DB.R
	k := &StaffChild{ID: id, Admin: admin, Languages: i18n.Languages}
	var birth, address, conf string
	err := q.QueryRowContext(ctx, `SELECT ch.first_name, ch.last_name, ch.birth_date, ch.address, ch.confidential_address, kg.name, COALESCE(g.name, '')
		FROM children ch JOIN kindergartens kg ON kg.id = ch.kindergarten_id LEFT JOIN groups g ON g.id = ch.group_id
		WHERE ch.id = $1`, id).Scan(&k.FirstName, &k.LastName, &birth, &address, &conf, &k.Kindergarten, &k.Group)
	if err != nil {
		return err
	}
	k.Birth = parseBirth(birth, time.Now())
	k.Conf, k.Address = confKey(conf), shownAddress(admin, address, conf)

	rows, err := q.QueryContext(ctx, `SELECT p.id, p.name, p.login IS NULL, p.email, p.phone, p.languages, p.info_preference, p.needs_interpreter,
		p.interpreter_language, p.interpreter_dialect, p.address, p.confidential_address,
		g.parental_responsibility, g.lives_with, g.no_information, g.no_pickup
		FROM guardianships g JOIN people p ON p.id = g.person_id
		WHERE g.child_id = $1 ORDER BY p.name, p.id`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var g Guardian
		var pid int64
		var phone, langs, pref, il, address, conf string
		if err := rows.Scan(&pid, &g.Name, &g.Pending, &g.Email, &phone, &langs, &pref, &g.NeedsInterpreter, &il, &g.InterpreterDialect, &address, &conf,
			&g.ParentalResponsibility, &g.LivesWith, &g.NoInformation, &g.NoPickup); err != nil {
			return err
		}
		// Staff need to reach the guardians, also those with a
		// confidential address; the address itself is for the
		// administration only.
		g.Phone = phoneOf(phone)
		g.Languages = langNames(c, strings.Fields(langs))
		g.InfoPreference = "pref." + pref
		g.InterpreterLanguage = langName(c, il)
		g.Conf, g.Address = confKey(conf), shownAddress(admin, address, conf)
		if g.NoPickup {
			k.NoPickup = append(k.NoPickup, g.Name)
		}
		if g.NoInformation {
			k.NoInformation = append(k.NoInformation, g.Name)
		}
		k.Guardians = append(k.Guardians, g)
		ids = append(ids, pid)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := staffMessages(c, k, ids); err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "staffchild", &web.Page{Title: k.FirstName + " " + k.LastName, Data: k})
	return nil
}

// staffMessages fills in the child page's messages section: the shared
// thread and whom it reaches (guardians with parental responsibility and
// access to information, as messaging.Recipients), and every guardian
// with access to information as someone to write to privately, with
// their private thread. ids are the person ids of k.Guardians.
func staffMessages(c *web.Ctx, k *StaffChild, ids []int64) error {
	rows, err := c.Env.DB.R.QueryContext(c.Context(), `SELECT t.id, COALESCE(t.guardian_id, 0), t.last_message_at,
		(SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id)
		FROM threads t WHERE t.child_id = $1 AND t.kind IN ('child', 'private')`, k.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	threads := map[int64]*ThreadLink{} // by guardian; 0 is the shared thread
	for rows.Next() {
		var t ThreadLink
		var guardian, last int64
		if err := rows.Scan(&t.ID, &guardian, &last, &t.Count); err != nil {
			return err
		}
		t.Last = time.Unix(last, 0)
		threads[guardian] = &t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	child := "/children/" + strconv.FormatInt(k.ID, 10)
	k.Thread = threads[0]
	k.Shared = conversations.StaffForm(c, child+"/messages", "", "")
	for i, g := range k.Guardians {
		if g.NoInformation {
			continue
		}
		if g.ParentalResponsibility {
			k.SharedTo = append(k.SharedTo, g.Name)
		}
		pid := strconv.FormatInt(ids[i], 10)
		k.Private = append(k.Private, PrivateTarget{Name: g.Name, ParentalResponsibility: g.ParentalResponsibility, Pending: g.Pending,
			Thread: threads[ids[i]], Form: conversations.StaffForm(c, child+"/guardians/"+pid+"/messages", "p"+pid+"-", "staffwrite.private.send")})
	}
	return nil
}

// confKey is the conf.* key of a confidentiality level ("" for none).
func confKey(level string) string {
	if level == "" {
		return ""
	}
	return "conf." + level
}

// shownAddress is the address the viewer may see here: the
// administration's, and not a strictly confidential one (that is shown
// only on the admin edit page).
func shownAddress(admin bool, address, level string) string {
	if !admin || level == "strengt_fortrolig" {
		return ""
	}
	return address
}

// parseBirth reads a YYYY-MM-DD birth date as a day in Oslo and the age
// in whole years on now.
func parseBirth(s string, now time.Time) Birth {
	b := Birth{Raw: s}
	t, err := time.ParseInLocation("2006-01-02", s, i18n.Oslo)
	if err != nil {
		return b
	}
	b.Date = t
	now = now.In(i18n.Oslo)
	b.Age = now.Year() - t.Year()
	if now.Month() < t.Month() || (now.Month() == t.Month() && now.Day() < t.Day()) {
		b.Age--
	}
	if b.Age < 0 {
		b.Age = 0
	}
	return b
}

// langName names a language in the reader's language; a code Tillit has
// no name for is shown as it is.
func langName(c *web.Ctx, code string) string {
	if code == "" {
		return ""
	}
	if i18n.Has(i18n.Source, "lang."+code) {
		return c.T("lang." + code)
	}
	return code
}

func langNames(c *web.Ctx, codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		out = append(out, langName(c, code))
	}
	return out
}

// phoneOf makes a tel: link of a stored number when it is only digits
// with an optional leading +, as the forms and the import store them.
func phoneOf(s string) Phone {
	p := Phone{Text: s}
	digits := strings.TrimPrefix(s, "+")
	if digits == "" {
		return p
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return p
		}
	}
	p.Link = template.URL("tel:" + s)
	return p
}

package messagecenter

import (
	"context"
	"database/sql"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"tillit/internal/feature/conversations"
	"tillit/internal/i18n"
	"tillit/internal/media"
	"tillit/internal/messaging"
	"tillit/internal/phrasebook"
	"tillit/internal/web"
)

// MaxBody is the longest free-text message, in characters.
const MaxBody = 2000

// EntryView is a phrasebook entry in a list.
type EntryView struct {
	Key, Pictogram, Title, Text string
	// ForOneChild: the entry names a child, so it belongs in that child's
	// thread, never in an announcement to the whole group.
	ForOneChild bool
}

// Option is one choice of a select.
type Option struct{ Value, Label string }

// Field is one slot of the chosen entry, as a form field.
type Field struct {
	Name    string // the slot's name, also the form field's name
	Type    string // date, time, weekday, item, place, number
	Label   string // i18n key
	Value   string
	Options []Option
	Err     string // i18n key
}

// Preview is the chosen entry in one recipient language.
type Preview struct {
	Lang     string // the recipients' language
	Dir      string
	Name     string        // lang.* key
	Count    int           // recipients reading it
	HTML     template.HTML // escaped by the phrasebook
	TextLang string        // the language the text is actually in
	TextDir  string
	Fallback bool
}

// LangCount is a recipient language with its number of readers.
type LangCount struct {
	Lang, Name string
	Count      int
}

type composeData struct {
	Scope      *scope
	Q, Cat     string
	Categories []phrasebook.Category
	Searched   bool
	Results    []EntryView
	Entry      *EntryView
	Fields     []Field
	Previews   []Preview
	// Ready: the preview rendered without problems; the send form is shown.
	Ready bool
	// MessageCategories for the free-text form.
	MessageCategories []string
	Languages         []LangCount
	Recipients        int
	// OnlyNorwegian: every recipient reads Norwegian, so sensitive
	// categories may go as free text.
	OnlyNorwegian bool
	Sensitive     []string
}

// OneChild is the key of "this entry names a child: not for everyone".
func (d *composeData) OneChild() string {
	return d.Scope.Key("messagecenter.one_child", "staffwrite.kg.one_child")
}

// recipientLanguages lists the languages the scope's families read, in
// launch-language order, with how many recipients read each.
func recipientLanguages(ctx context.Context, q *sql.DB, g *scope) ([]LangCount, int, error) {
	rs, err := messaging.Recipients(ctx, q, &messaging.Thread{Kind: messaging.KindAnnouncement, KindergartenID: g.Kg, GroupID: g.ID})
	if err != nil {
		return nil, 0, err
	}
	n := map[string]int{}
	for _, r := range rs {
		n[r.Lang]++
	}
	var out []LangCount
	for _, l := range i18n.Languages {
		if n[l.Code] > 0 {
			out = append(out, LangCount{Lang: l.Code, Name: "lang." + l.Code, Count: n[l.Code]})
			delete(n, l.Code)
		}
	}
	// Languages outside the launch set are read as the original.
	for _, l := range sortedKeys(n) {
		out = append(out, LangCount{Lang: l, Count: n[l]})
	}
	return out, len(rs), nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func newCompose(c *web.Ctx, g *scope) (*composeData, error) {
	d := &composeData{Scope: g, Categories: book.Categories(), MessageCategories: messaging.Categories, OnlyNorwegian: true}
	var err error
	d.Languages, d.Recipients, err = recipientLanguages(c.Context(), c.Env.DB.R, g)
	if err != nil {
		return nil, err
	}
	for _, l := range d.Languages {
		if l.Lang != i18n.Source {
			d.OnlyNorwegian = false
		}
	}
	for _, cat := range messaging.Categories {
		if messaging.Sensitive(cat) {
			d.Sensitive = append(d.Sensitive, "msg.category."+cat)
		}
	}
	return d, nil
}

func entryView(e phrasebook.Entry) EntryView {
	v := EntryView{Key: e.Key, Pictogram: e.Pictogram, Title: e.Title, Text: e.Text}
	for _, s := range e.Slots {
		if s.Type == phrasebook.SlotChild {
			v.ForOneChild = true
		}
	}
	return v
}

var weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// fields turns an entry's slots into form fields with the given values.
func fields(c *web.Ctx, e phrasebook.Entry, values func(string) string) []Field {
	var out []Field
	for _, s := range e.Slots {
		if s.Type == phrasebook.SlotChild {
			continue // not offered in announcements (see EntryView.ForOneChild)
		}
		f := Field{Name: s.Name, Type: string(s.Type), Value: values(s.Name), Label: "messagecenter.slot." + strings.ToLower(s.Name)}
		if !i18n.Has(i18n.Source, f.Label) {
			f.Label = "messagecenter.slot." + string(s.Type)
		}
		switch s.Type {
		case phrasebook.SlotItem:
			for _, k := range book.Items(s.Items) {
				f.Options = append(f.Options, Option{k, book.Label(k, i18n.Source)})
			}
		case phrasebook.SlotPlace:
			for _, k := range book.Places() {
				f.Options = append(f.Options, Option{k, book.Label(k, i18n.Source)})
			}
		case phrasebook.SlotWeekday:
			for i, w := range weekdays {
				f.Options = append(f.Options, Option{w, c.L.T("date.weekday." + strconv.Itoa((i+1)%7))})
			}
		}
		out = append(out, f)
	}
	return out
}

// slotErrors marks the fields with the phrasebook's slot errors; it
// reports whether the error was only slot errors.
func slotErrors(d *composeData, err error, errs map[string]string) bool {
	ses := phrasebook.SlotErrors(err)
	if len(ses) == 0 {
		return false
	}
	for _, se := range ses {
		key := "messagecenter.slot_error." + se.Code
		errs[se.Slot] = key
		for i := range d.Fields {
			if d.Fields[i].Name == se.Slot {
				d.Fields[i].Err = key
			}
		}
	}
	return true
}

// choose fills in the chosen entry and, when preview is true, checks the
// slot values and renders the previews. It returns the slot values and
// the field errors (nil when the entry is ready to send).
func choose(c *web.Ctx, d *composeData, key string, values func(string) string, preview bool) (map[string]string, map[string]string, error) {
	e, ok := book.Get(key)
	if !ok {
		return nil, map[string]string{"phrase": "messagecenter.unknown_phrase"}, nil
	}
	v := entryView(e)
	d.Entry = &v
	d.Fields = fields(c, e, values)
	if !preview {
		return nil, nil, nil
	}
	errs := map[string]string{}
	if v.ForOneChild {
		errs["phrase"] = d.OneChild()
		return nil, errs, nil
	}
	slots := map[string]string{}
	for _, f := range d.Fields {
		slots[f.Name] = strings.TrimSpace(f.Value)
	}
	if err := book.Check(key, slots); err != nil {
		if slotErrors(d, err, errs) {
			return nil, errs, nil
		}
		return nil, nil, err
	}
	for _, l := range d.Languages {
		lang := l.Lang
		if !i18n.Valid(lang) {
			lang = i18n.Source
		}
		r, err := book.Render(key, slots, lang)
		if err != nil {
			if slotErrors(d, err, errs) {
				return nil, errs, nil
			}
			return nil, nil, err
		}
		loc := i18n.New(lang)
		d.Previews = append(d.Previews, Preview{Lang: lang, Dir: loc.Dir(), Name: l.Name, Count: l.Count,
			HTML: r.HTML, TextLang: r.Lang, TextDir: r.Dir, Fallback: r.Fallback})
	}
	d.Ready = true
	return slots, nil, nil
}

// Compose is the page for writing an announcement to the group: browse
// or search the phrasebook in Norwegian, fill in the chosen entry, see it
// in every recipient language; or write free text. All GET, so it works
// without JavaScript and the back button.
func Compose(c *web.Ctx) error { return compose(c, loadGroup) }

// KindergartenCompose is the same page for an announcement to the whole
// kindergarten (the manager's and the owner admin's).
func KindergartenCompose(c *web.Ctx) error { return compose(c, loadKindergarten) }

func compose(c *web.Ctx, load func(*web.Ctx) (*scope, error)) error {
	g, err := load(c)
	if err != nil {
		return err
	}
	d, err := newCompose(c, g)
	if err != nil {
		return err
	}
	qv := c.R.URL.Query()
	d.Q, d.Cat = strings.TrimSpace(qv.Get("q")), qv.Get("cat")
	if len(d.Q) > 100 {
		d.Q = d.Q[:100]
	}
	switch {
	case d.Q != "":
		d.Searched = true
		for _, e := range book.Search(d.Q) {
			d.Results = append(d.Results, entryView(e))
		}
	case d.Cat != "":
		d.Searched = true
		for _, e := range book.InCategory(d.Cat) {
			d.Results = append(d.Results, entryView(e))
		}
	}
	status := http.StatusOK
	var errs map[string]string
	if key := qv.Get("phrase"); key != "" {
		_, errs, err = choose(c, d, key, qv.Get, qv.Get("preview") != "")
		if err != nil {
			return err
		}
		if errs != nil {
			status = http.StatusBadRequest
		}
	}
	render(c, status, d, errs, nil)
	return nil
}

func render(c *web.Ctx, status int, d *composeData, errs, form map[string]string) {
	c.Render(status, pages, "compose", &web.Page{Title: c.T(d.Scope.Key("messagecenter.compose.title", "staffwrite.kg.compose_title"), "Group", d.Scope.Name), Data: d, Errors: errs, Form: form})
}

// Announce sends a new announcement to the group: a phrasebook entry
// (phrase_key and its slot values) or free text (category and body).
func Announce(c *web.Ctx) error { return announce(c, loadGroup) }

// MaxUpload is the body limit of the announcement routes: the text and a
// voice message.
const MaxUpload = media.MaxAudioUpload + 64<<10

// KindergartenAnnounce sends an announcement to the whole kindergarten.
func KindergartenAnnounce(c *web.Ctx) error { return announce(c, loadKindergarten) }

func announce(c *web.Ctx, load func(*web.Ctx) (*scope, error)) error {
	g, err := load(c)
	if err != nil {
		return err
	}
	d, err := newCompose(c, g)
	if err != nil {
		return err
	}
	msg := messaging.NewMessage{AuthorID: c.Actor.PersonID, FromStaff: true, Lang: i18n.Source}
	var sent *messaging.Sent
	if key := c.R.PostFormValue("phrase_key"); key != "" {
		slots, errs, err := choose(c, d, key, c.R.PostFormValue, true)
		if err != nil {
			return err
		}
		if errs != nil {
			render(c, http.StatusBadRequest, d, errs, nil)
			return nil
		}
		e, _ := book.Get(key)
		msg.PhraseKey, msg.PhraseSlots, msg.Category = key, slots, e.MessageCategory
	} else {
		cat, body := c.R.PostFormValue("category"), c.R.PostFormValue("body")
		form := map[string]string{"category": cat, "body": body}
		errs := map[string]string{}
		if !slices.Contains(messaging.Categories, cat) {
			errs["category"] = "form.required"
		}
		// A voice message may go with the text, or alone; it is never
		// machine-translated. (Pictures go to one family at a time:
		// docs/media.md.)
		voice, err := media.FromForm(c.R.MultipartForm, "voice", media.Audio)
		if code := media.Code(err); code != "" {
			errs["voice"] = code
		} else if err != nil {
			return err
		}
		body, code := validateBody(body)
		if code != "" && !(code == "form.required" && (voice != nil || errs["voice"] != "")) {
			errs["body"] = code
		}
		if len(errs) == 0 && body != "" && messaging.Sensitive(cat) && !d.OnlyNorwegian {
			errs["category"] = "messagecenter.sensitive"
		}
		if len(errs) > 0 {
			render(c, http.StatusBadRequest, d, errs, form)
			return nil
		}
		msg.Category, msg.Body = cat, body
		atts, undo, err := messaging.StoreFiles(c.Env.Files, voice)
		if err != nil {
			return err
		}
		defer func() {
			if sent == nil {
				undo() // not sent: nothing refers to the file
			}
		}()
		msg.Attachments = atts
	}
	err = c.Env.DB.Tx(c.Context(), func(tx *sql.Tx) error {
		t, err := messaging.NewAnnouncement(c.Context(), tx, g.Kg, g.ID, c.Actor.PersonID)
		if err != nil {
			return err
		}
		msg.Thread = t
		sent, err = messaging.Send(c.Context(), tx, msg)
		return err
	})
	if err != nil {
		sent = nil // rolled back
	}
	if errors.Is(err, messaging.ErrNoRecipients) {
		render(c, http.StatusBadRequest, d, map[string]string{"body": g.Key("messagecenter.no_recipients", "staffwrite.kg.no_recipients")}, map[string]string{"category": msg.Category, "body": msg.Body})
		return nil
	}
	if err != nil {
		return err
	}
	return c.Redirect(g.Path() + "/messages?sent=" + strconv.Itoa(sent.Recipients))
}

// validateBody checks announcement text with the same rules as every
// message (conversations.ValidateBody), and the shorter limit of an
// announcement: MaxBody characters.
func validateBody(s string) (string, string) {
	s, code := conversations.ValidateBody(s)
	if code == "" && utf8.RuneCountInString(s) > MaxBody {
		return "", "form.too_long"
	}
	return s, code
}

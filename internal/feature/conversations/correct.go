package conversations

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/translate"
	"tillit/internal/web"
)

// Corrections: staff who read a language (it is among the languages of
// their profile, or it is their interface language) can correct the
// translation of a message into it. The correction goes into the
// translation memory, marked as checked by a person, and replaces the
// machine text in every message that used the same memory row — and in
// every later message with the same text, since the worker finds it in
// the memory first.

// correctable are the translation states a person may correct: a
// finished machine translation, or none at all (failed, no provider).
// A pending one waits for the worker.
const correctable = `('done', 'failed', 'none')`

// correction is one "correct the translation" form under a message.
type correction struct {
	Action  string
	Lang    string // the translation's language: lang of the textarea
	Dir     string
	LangKey string // i18n key of its name: "lang.ar"
	Text    string // prefilled: the current translation, or what was typed
	Err     string // i18n key of the problem with what was typed
	Open    bool   // show the form opened (after an error)
}

func correctAction(msg int64, lang string) string {
	return "/messages/" + strconv.FormatInt(msg, 10) + "/translations/" + lang
}

// addCorrections gives staff viewers of thread the correction forms for
// the translations they can read. failed names the form that was just
// refused ("id/lang" in values["correct"]), with what was typed.
func addCorrections(c *web.Ctx, thread int64, items []item, errs, values map[string]string) error {
	ctx := c.Context()
	known, err := messaging.KnownLanguages(ctx, c.Env.DB.R, c.Actor.PersonID)
	if err != nil {
		return err
	}
	rows, err := c.Env.DB.R.QueryContext(ctx, `SELECT t.message_id, t.lang, t.status, t.text
		FROM message_translations t JOIN messages m ON m.id = t.message_id
		WHERE m.thread_id = $1 AND m.body <> '' AND m.phrase_key = '' AND t.status IN `+correctable+`
		ORDER BY t.message_id, t.lang`, thread)
	if err != nil {
		return err
	}
	defer rows.Close()
	byMsg := map[int64][]correction{}
	for rows.Next() {
		var msg int64
		var lang, status, text string
		if err := rows.Scan(&msg, &lang, &status, &text); err != nil {
			return err
		}
		l, ok := i18n.Lookup(lang)
		if !ok || !known[l.Code] {
			continue
		}
		k := correction{Action: correctAction(msg, l.Code), Lang: l.Code, Dir: "ltr", LangKey: "lang." + l.Code}
		if l.RTL {
			k.Dir = "rtl"
		}
		if status == "done" {
			k.Text = text
		}
		if values["correct"] == strconv.FormatInt(msg, 10)+"/"+l.Code {
			k.Text, k.Err, k.Open = values["text"], errs["text"], true
		}
		byMsg[msg] = append(byMsg[msg], k)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range items {
		items[i].Corrections = byMsg[items[i].ID]
	}
	return nil
}

// CorrectTranslation stores a staff member's correction of the
// translation of message {id} into {lang} (form field "text"). The
// router has checked that the actor is staff of the message's thread;
// the actor must also read {lang}, and the message must have a
// translation into it that is finished or given up — else 404.
func CorrectTranslation(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	lang, ok := i18n.Lookup(c.R.PathValue("lang"))
	if !ok {
		return web.ErrNotFound
	}
	ctx := c.Context()
	q := c.Env.DB.R
	known, err := messaging.KnownLanguages(ctx, q, c.Actor.PersonID)
	if err != nil {
		return err
	}
	if !known[lang.Code] {
		return web.ErrNotFound
	}
	m, err := LoadMessage(ctx, q, id)
	if err != nil {
		return err
	}
	if m.Body == "" || m.PhraseKey != "" {
		return web.ErrNotFound
	}
	var status string
	err = q.QueryRowContext(ctx, `SELECT status FROM message_translations WHERE message_id = $1 AND lang = $2 AND status IN `+correctable, id, lang.Code).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}

	raw := c.R.PostFormValue("text")
	text, code := ValidateBody(raw)
	if code == "" {
		var e translate.Entry
		e, err = translate.NewMemory(c.Env.DB).Correct(ctx, m.Body, m.Lang, lang.Code, text, c.Actor.PersonID)
		switch {
		case errors.Is(err, translate.ErrInvalidInput):
			code = "form.invalid"
		case err != nil:
			return err
		default:
			// Every message that shows this memory row shows the
			// correction now; this one is linked to it if it was not.
			_, err = c.Env.DB.W.ExecContext(ctx, `UPDATE message_translations
				SET status = 'done', text = $1, provider = $2, checked_by = $3, memory_id = $4
				WHERE memory_id = $4 OR (message_id = $5 AND lang = $6)`,
				e.Text, translate.ProviderPerson, c.Actor.PersonID, e.ID, id, lang.Code)
			if err != nil {
				return err
			}
			return c.Redirect(anchor(m.ThreadID, id))
		}
	}
	t, err := loadThread(ctx, q, m.ThreadID)
	if err != nil {
		return err
	}
	return threadPage(c, t, http.StatusBadRequest, map[string]string{"text": code},
		map[string]string{"text": raw, "correct": strconv.FormatInt(id, 10) + "/" + lang.Code}, false, false)
}

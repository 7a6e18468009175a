package conversations

import (
	"net/http"
	"slices"

	"tillit/internal/messaging"
	"tillit/internal/web"
)

// inboxLimit is how many threads the inbox lists.
const inboxLimit = 50

// inboxThread is one line of a guardian's inbox.
type inboxThread struct {
	ID        int64
	Kind      string
	ChildName string
	Unread    int
	Last      *View // nil when nothing in it is visible to them
}

type inboxGroup struct {
	ID                 int64
	Name, Kindergarten string
}

type inboxData struct {
	Guardian bool
	Staff    bool
	Threads  []inboxThread
	Groups   []inboxGroup
	// Kindergartens the person administers: their announcements to all.
	Kindergartens []inboxGroup
}

// Inbox lists a guardian's threads, newest first, with unread counts and
// a preview of the latest message in their language; staff get their
// groups' message pages.
func Inbox(c *web.Ctx) error {
	ctx := c.Context()
	q := c.Env.DB.R
	a := c.Actor
	d := &inboxData{Staff: a.IsStaff(), Guardian: a.IsGuardian() || !a.IsStaff()}
	if d.Guardian {
		prof, err := loadProfile(c)
		if err != nil {
			return err
		}
		// Threads they received something in or wrote in; the rights
		// are checked again below, as the router would for each.
		rows, err := q.QueryContext(ctx, `SELECT t.id, t.kind, COALESCE(t.child_id, 0), COALESCE(t.guardian_id, 0), COALESCE(c.first_name, ''),
			(SELECT COUNT(*) FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = t.id AND r.person_id = $1),
			(SELECT COUNT(*) FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = t.id AND r.person_id = $1 AND r.read_at IS NULL)
			FROM threads t LEFT JOIN children c ON c.id = t.child_id
			WHERE t.id IN (SELECT m.thread_id FROM messages m JOIN receipts r ON r.message_id = m.id WHERE r.person_id = $1
			               UNION SELECT m.thread_id FROM messages m WHERE m.author_id = $1)
			ORDER BY t.last_message_at DESC, t.id DESC`, a.PersonID)
		if err != nil {
			return err
		}
		for rows.Next() && len(d.Threads) < inboxLimit {
			var th inboxThread
			var child, guardian int64
			var received int
			if err := rows.Scan(&th.ID, &th.Kind, &child, &guardian, &th.ChildName, &received, &th.Unread); err != nil {
				rows.Close()
				return err
			}
			l, linked := a.Links[child]
			switch th.Kind {
			case messaging.KindChild:
				if !linked || l.NoInformation || !l.ParentalResponsibility {
					continue
				}
			case messaging.KindPrivate:
				if !linked || l.NoInformation || guardian != a.PersonID {
					continue
				}
			default:
				if received == 0 {
					continue
				}
			}
			d.Threads = append(d.Threads, th)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range d.Threads {
			th := &d.Threads[i]
			m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages m LEFT JOIN people p ON p.id = m.author_id
				WHERE m.thread_id = $1 AND (m.author_id = $2 OR EXISTS (SELECT 1 FROM receipts r WHERE r.message_id = m.id AND r.person_id = $2))
				ORDER BY m.created_at DESC, m.id DESC LIMIT 1`, th.ID, a.PersonID))
			if err != nil {
				continue // nothing visible in it
			}
			readAs := prof.readLang
			if m.AuthorID == a.PersonID {
				readAs = m.Lang
			}
			if th.Last, err = RenderMessage(ctx, q, m, readAs); err != nil {
				return err
			}
		}
	}
	if d.Staff {
		rows, err := q.QueryContext(ctx, `SELECT g.id, g.name, k.name, k.id, k.organisation_id FROM groups g JOIN kindergartens k ON k.id = g.kindergarten_id
			WHERE g.id IN (SELECT group_id FROM staff_groups WHERE person_id = $1)
			   OR k.id IN (SELECT kindergarten_id FROM staff_roles WHERE person_id = $1 AND role = 'manager')
			   OR k.organisation_id IN (SELECT organisation_id FROM staff_roles WHERE person_id = $1 AND role = 'owner_admin')
			ORDER BY k.name, g.name, g.id`, a.PersonID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g inboxGroup
			var kg, org int64
			if err := rows.Scan(&g.ID, &g.Name, &g.Kindergarten, &kg, &org); err != nil {
				return err
			}
			if a.AdminsKindergarten(org, kg) && !slices.ContainsFunc(d.Kindergartens, func(k inboxGroup) bool { return k.ID == kg }) {
				d.Kindergartens = append(d.Kindergartens, inboxGroup{ID: kg, Kindergarten: g.Kindergarten})
			}
			if a.StaffOfGroup(org, kg, g.ID) {
				d.Groups = append(d.Groups, g)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	c.Render(http.StatusOK, pages, "inbox", &web.Page{Title: c.T("conversations.inbox.title"), Data: d})
	return nil
}

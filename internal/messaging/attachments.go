package messaging

import (
	"context"
	"database/sql"
	"strings"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/media"
)

// Attachment is a picture or a sound file of a message. File names a
// file in the media store; who may fetch it is whoever may see the
// message (policy.AttachmentView).
type Attachment struct {
	ID            int64
	MessageID     int64
	Kind          media.Kind
	ContentType   string
	Size          int64
	File          string
	Width, Height int
}

// StoreFiles writes checked files to the store, ready to go with a
// message. When the message is not stored after all, call undo: it
// removes the files again, so nothing is left that nobody can see.
func StoreFiles(s *media.Store, files ...*media.File) (atts []Attachment, undo func(), err error) {
	undo = func() {
		for _, a := range atts {
			s.Remove(a.File)
		}
	}
	for _, f := range files {
		if f == nil {
			continue
		}
		name, err := s.Save(f.Data)
		if err != nil {
			undo()
			return nil, func() {}, err
		}
		atts = append(atts, Attachment{Kind: f.Kind, ContentType: f.ContentType, Size: int64(len(f.Data)), File: name, Width: f.Width, Height: f.Height})
	}
	return atts, undo, nil
}

func insertAttachments(ctx context.Context, tx *sql.Tx, msg int64, atts []Attachment) error {
	now := db.Now()
	for _, a := range atts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments (message_id, kind, content_type, size, file, width, height, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, msg, string(a.Kind), a.ContentType, a.Size, a.File, a.Width, a.Height, now); err != nil {
			return err
		}
	}
	return nil
}

// AttachmentsOf reads the attachments of the given messages, by message,
// pictures before sound, in the order they were added. It checks no
// rights: the caller has.
func AttachmentsOf(ctx context.Context, q directory.Execer, messages []int64) (map[int64][]Attachment, error) {
	out := map[int64][]Attachment{}
	if len(messages) == 0 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, len(messages))
	for i, id := range messages {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + itoa(i+1))
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT id, message_id, kind, content_type, size, file, width, height FROM attachments
		WHERE message_id IN (`+b.String()+`) ORDER BY message_id, kind DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Attachment
		var kind string
		if err := rows.Scan(&a.ID, &a.MessageID, &kind, &a.ContentType, &a.Size, &a.File, &a.Width, &a.Height); err != nil {
			return nil, err
		}
		a.Kind = media.Kind(kind)
		out[a.MessageID] = append(out[a.MessageID], a)
	}
	return out, rows.Err()
}

package importcsv

import "fmt"

// Error codes. They are stable machine keys meant to be looked up in the
// translation catalogue; never show them to users as-is.
//
// Row-level codes (RowError.Code):
const (
	CodeRequired               = "required"                // empty required field
	CodeInvalidDate            = "invalid_date"            // not a YYYY-MM-DD calendar date
	CodeFutureDate             = "future_date"             // birth date after today
	CodeTooOld                 = "too_old"                 // child's 7th birthday is before today
	CodeInvalidEmail           = "invalid_email"           // not one @, contains spaces, ...
	CodeInvalidPhone           = "invalid_phone"           // not digits/spaces/leading +, wrong length
	CodeUnknownLanguage        = "unknown_language"        // language code outside LaunchLanguages
	CodeInvalidBool            = "invalid_bool"            // not yes/no/ja/nei/true/false/1/0
	CodeTooLong                = "too_long"                // more than MaxTextLen characters
	CodeControlChars           = "control_chars"           // control characters (tab, newline, ...)
	CodeBidiChars              = "bidi_chars"              // Unicode bidirectional control characters
	CodeMarkupChars            = "markup_chars"            // < or > in a name
	CodeInvalidUTF8            = "invalid_utf8"            // bytes that are not UTF-8 (also file-level, in the header)
	CodeUnknownConfidentiality = "unknown_confidentiality" // not empty/fortrolig/strengt_fortrolig
	CodeChildConflict          = "child_conflict"          // same child_ref, different child data
	CodeGuardianConflict       = "guardian_conflict"       // same guardian_ref, different guardian data
	CodeGroupConflict          = "group_conflict"          // same child in two groups, or group spelled two ways
	CodeDuplicateLink          = "duplicate_link"          // same child_ref + guardian_ref on two rows
	CodeWrongColumnCount       = "wrong_column_count"      // row has a different number of fields than the header
)

// File-level codes (FileError.Code).
const (
	CodeFileTooLarge    = "file_too_large"   // more than MaxBytes
	CodeTooManyRows     = "too_many_rows"    // more than MaxRows data rows
	CodeMissingColumn   = "missing_column"   // a required column is absent from the header
	CodeUnknownColumn   = "unknown_column"   // header names a column this format does not know
	CodeDuplicateColumn = "duplicate_column" // header names the same column twice
	CodeNotCSV          = "not_csv"          // binary data or broken CSV quoting
	CodeEmptyFile       = "empty_file"       // no header, or a header without data rows
	CodeReadError       = "read_error"       // the reader itself failed (I/O)
)

// Codes lists every code Parse and the exported validators can produce,
// row-level and file-level, each exactly once. A translation is needed for
// each of them.
var Codes = []string{
	CodeRequired,
	CodeInvalidDate,
	CodeFutureDate,
	CodeTooOld,
	CodeInvalidEmail,
	CodeInvalidPhone,
	CodeUnknownLanguage,
	CodeInvalidBool,
	CodeTooLong,
	CodeControlChars,
	CodeBidiChars,
	CodeMarkupChars,
	CodeInvalidUTF8,
	CodeUnknownConfidentiality,
	CodeChildConflict,
	CodeGuardianConflict,
	CodeGroupConflict,
	CodeDuplicateLink,
	CodeWrongColumnCount,
	CodeFileTooLarge,
	CodeTooManyRows,
	CodeMissingColumn,
	CodeUnknownColumn,
	CodeDuplicateColumn,
	CodeNotCSV,
	CodeEmptyFile,
	CodeReadError,
}

// RowError is one problem in one cell (or, with an empty Column, one row).
type RowError struct {
	// Row is the 1-based line number in the file where the record starts;
	// the header is line 1.
	Row int
	// Column is the canonical (lower-case) column name, or "" when the
	// problem concerns the whole row.
	Column string
	// Code is one of Codes.
	Code string
	// Value is a display-safe copy of the offending value: invalid bytes are
	// replaced by U+FFFD, control and bidi characters are shown as
	// "[U+XXXX]", and it is cut to 100 characters. It may still contain
	// markup-like text, so HTML-escape it when rendering (html/template does).
	Value string
}

// FileError is returned by Parse when the file as a whole cannot be used.
type FileError struct {
	// Code is one of the file-level codes (or CodeInvalidUTF8 for a header
	// that is not UTF-8).
	Code string
	// Column is the column concerned (missing_column, unknown_column,
	// duplicate_column), otherwise "".
	Column string
	// Row is the 1-based line number concerned (not_csv, too_many_rows),
	// otherwise 0.
	Row int
	// Err is the underlying error, if any (read_error, not_csv).
	Err error
}

func (e *FileError) Error() string {
	msg := "importcsv: " + e.Code
	if e.Column != "" {
		msg += fmt.Sprintf(" (column %q)", e.Column)
	}
	if e.Row > 0 {
		msg += fmt.Sprintf(" (line %d)", e.Row)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FileError) Unwrap() error { return e.Err }

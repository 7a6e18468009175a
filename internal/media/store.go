package media

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
)

// Store keeps files in a directory, each under a random name in a
// sub-directory named by its first two characters. Who may see a file
// is the database's business: the store only writes, opens and removes.
//
// With PostgreSQL and several Tillit nodes the directory must be shared
// (a network file system): see docs/media.md.
type Store struct{ dir string }

// NewStore opens (creating it if needed) the directory dir.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Files counts the files in the store (for checks and tests).
func (s *Store) Files() (int, error) {
	n := 0
	err := filepath.WalkDir(s.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && nameRE.MatchString(d.Name()) {
			n++
		}
		return err
	})
	return n, err
}

var nameRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ErrBadName is returned for a name the store did not make.
var ErrBadName = errors.New("media: bad file name")

func (s *Store) path(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", ErrBadName
	}
	return filepath.Join(s.dir, name[:2], name), nil
}

// Save writes data under a new random name and returns the name. The
// file is complete on disk (written to a temporary name, synced, then
// renamed) before Save returns.
func (s *Store) Save(data []byte) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	name := hex.EncodeToString(b[:])
	p, _ := s.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return "", err
	}
	return name, os.Rename(tmp.Name(), p)
}

// Open opens a stored file for reading.
func (s *Store) Open(name string) (*os.File, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Remove deletes a stored file; a file that is already gone is no error.
func (s *Store) Remove(name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

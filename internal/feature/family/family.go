package family

import "tillit/internal/web"

// Get is not built yet.
func Get(c *web.Ctx) error { return web.ErrNotFound }

// Child is not built yet.
func Child(c *web.Ctx) error { return web.ErrNotFound }

package groups

import "tillit/internal/web"

// List is not built yet.
func List(c *web.Ctx) error { return web.ErrNotFound }

// Get is not built yet.
func Get(c *web.Ctx) error { return web.ErrNotFound }

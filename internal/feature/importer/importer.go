package importer

import "tillit/internal/web"

// Form is not built yet.
func Form(c *web.Ctx) error { return web.ErrNotFound }

// Submit is not built yet.
func Submit(c *web.Ctx) error { return web.ErrNotFound }

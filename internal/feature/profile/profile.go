package profile

import "tillit/internal/web"

// Get is not built yet.
func Get(c *web.Ctx) error { return web.ErrNotFound }

// Save is not built yet.
func Save(c *web.Ctx) error { return web.ErrNotFound }

// Password is not built yet.
func Password(c *web.Ctx) error { return web.ErrNotFound }

// EndSession is not built yet.
func EndSession(c *web.Ctx) error { return web.ErrNotFound }

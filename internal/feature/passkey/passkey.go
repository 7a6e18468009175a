package passkey

import "tillit/internal/web"

// LoginBegin is not built yet.
func LoginBegin(c *web.Ctx) error { return web.ErrNotFound }

// LoginFinish is not built yet.
func LoginFinish(c *web.Ctx) error { return web.ErrNotFound }

// RegisterBegin is not built yet.
func RegisterBegin(c *web.Ctx) error { return web.ErrNotFound }

// RegisterFinish is not built yet.
func RegisterFinish(c *web.Ctx) error { return web.ErrNotFound }

// Delete is not built yet.
func Delete(c *web.Ctx) error { return web.ErrNotFound }

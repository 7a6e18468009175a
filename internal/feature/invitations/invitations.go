package invitations

import "tillit/internal/web"

// Show is not built yet.
func Show(c *web.Ctx) error { return web.ErrNotFound }

// Renew is not built yet.
func Renew(c *web.Ctx) error { return web.ErrNotFound }

// AddGuardian is not built yet.
func AddGuardian(c *web.Ctx) error { return web.ErrNotFound }

// InviteGuardian is not built yet.
func InviteGuardian(c *web.Ctx) error { return web.ErrNotFound }

package admin

import "tillit/internal/web"

// Home is not built yet.
func Home(c *web.Ctx) error { return web.ErrNotFound }

// Kindergarten is not built yet.
func Kindergarten(c *web.Ctx) error { return web.ErrNotFound }

// CreateGroup is not built yet.
func CreateGroup(c *web.Ctx) error { return web.ErrNotFound }

// EditGroup is not built yet.
func EditGroup(c *web.Ctx) error { return web.ErrNotFound }

// Children is not built yet.
func Children(c *web.Ctx) error { return web.ErrNotFound }

// CreateChild is not built yet.
func CreateChild(c *web.Ctx) error { return web.ErrNotFound }

// ChildEditForm is not built yet.
func ChildEditForm(c *web.Ctx) error { return web.ErrNotFound }

// ChildEdit is not built yet.
func ChildEdit(c *web.Ctx) error { return web.ErrNotFound }

// LinkEdit is not built yet.
func LinkEdit(c *web.Ctx) error { return web.ErrNotFound }

// Staff is not built yet.
func Staff(c *web.Ctx) error { return web.ErrNotFound }

// InviteStaff is not built yet.
func InviteStaff(c *web.Ctx) error { return web.ErrNotFound }

// StaffMember is not built yet.
func StaffMember(c *web.Ctx) error { return web.ErrNotFound }

// StaffMemberSave is not built yet.
func StaffMemberSave(c *web.Ctx) error { return web.ErrNotFound }

// Guardians is not built yet.
func Guardians(c *web.Ctx) error { return web.ErrNotFound }

// Guardian is not built yet.
func Guardian(c *web.Ctx) error { return web.ErrNotFound }

// GuardianSave is not built yet.
func GuardianSave(c *web.Ctx) error { return web.ErrNotFound }

// Organisation is not built yet.
func Organisation(c *web.Ctx) error { return web.ErrNotFound }

// CreateKindergarten is not built yet.
func CreateKindergarten(c *web.Ctx) error { return web.ErrNotFound }

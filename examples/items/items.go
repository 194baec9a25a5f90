package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/securegen/securegen/examples/items/api"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

// maxNameBytes bounds the name of an item.
const maxNameBytes = 200

// items implements api.Server. It keeps the items in memory, guarded by
// mu: every replica has its own items, even when replicas share a Redis
// for their tokens.
//
// It never checks a token or a scope: the generated handler has done so,
// as the spec requires, before any of these methods runs.
type items struct {
	mu     sync.Mutex
	nextID int64
	byID   map[int64]api.Item
}

var _ api.Server = (*items)(nil)

// newItems returns the item store with the two items of FastAPI's
// tutorial in it.
func newItems() *items {
	s := &items{byID: make(map[int64]api.Item)}
	for _, seed := range []api.Item{
		{Name: "Foo", Owner: "alice", Price: ptr(50.2)},
		{Name: "Bar", Owner: "admin", Price: ptr(62.0)},
	} {
		s.nextID++
		seed.ID = s.nextID
		s.byID[seed.ID] = seed
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// clone returns a copy of it that shares no memory with the store.
func clone(it api.Item) api.Item {
	if it.Price != nil {
		it.Price = ptr(*it.Price)
	}
	return it
}

// ListItems serves GET /items (scope items:read).
func (s *items) ListItems(_ context.Context, _ api.ListItemsRequest) (api.ListItemsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.Item, 0, len(s.byID))
	for _, it := range s.byID {
		out = append(out, clone(it))
	}
	slices.SortFunc(out, func(a, b api.Item) int { return cmp.Compare(a.ID, b.ID) })
	return api.NewListItems200JSONResponse(out), nil
}

// CreateItem serves POST /items (scope items:write). The caller owns the
// new item.
func (s *items) CreateItem(_ context.Context, req api.CreateItemRequest) (api.CreateItemResponse, error) {
	name := strings.TrimSpace(req.Body.Name)
	if name == "" || len(name) > maxNameBytes {
		return nil, &httpapi.BodyError{Status: http.StatusBadRequest, Err: errors.New("name must have between 1 and 200 bytes")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	it := api.Item{ID: s.nextID, Name: name, Owner: subject(req.Principal), Price: req.Body.Price}
	it = clone(it)
	s.byID[it.ID] = it
	return api.NewCreateItem201JSONResponse(clone(it)), nil
}

// GetItem serves GET /items/{itemId} (scope items:read).
func (s *items) GetItem(_ context.Context, req api.GetItemRequest) (api.GetItemResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.byID[req.ItemID]
	if !ok {
		return api.NewGetItem404Response(), nil
	}
	return api.NewGetItem200JSONResponse(clone(it)), nil
}

// errNoSuchItem is the object check's answer for an item that does not
// exist, or that the caller may not know of: 404 either way.
var errNoSuchItem = &httpapi.ObjectDeniedError{Status: http.StatusNotFound}

// AuthorizeDeleteItem is the object check the spec asks for on DELETE
// /items/{itemId} (x-securegen-authorize): users may delete only their
// own items; holders of items:admin any. The generated handler calls it
// after the token, the scope and the parameters were checked, and never
// calls DeleteItem when it returns an error.
func (s *items) AuthorizeDeleteItem(_ context.Context, req api.DeleteItemRequest) error {
	s.mu.Lock()
	it, ok := s.byID[req.ItemID]
	s.mu.Unlock()
	switch {
	case !ok:
		return errNoSuchItem
	case req.Principal.HasScope(api.ScopeItemsAdmin), it.Owner == subject(req.Principal):
		return nil
	}
	return errors.New(subject(req.Principal) + " does not own item " + it.Name)
}

// DeleteItem serves DELETE /items/{itemId} (scope items:write, and the
// object check of AuthorizeDeleteItem).
func (s *items) DeleteItem(_ context.Context, req api.DeleteItemRequest) (api.DeleteItemResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[req.ItemID]; !ok {
		return api.NewDeleteItem404Response(), nil
	}
	delete(s.byID, req.ItemID)
	return api.NewDeleteItem204Response(), nil
}

// GetMe serves GET /users/me (any valid token): the caller and the scopes
// its token carries.
func (s *items) GetMe(_ context.Context, req api.GetMeRequest) (api.GetMeResponse, error) {
	scopes := []string{}
	if req.Principal != nil {
		scopes = append(scopes, req.Principal.Scopes...)
	}
	return api.NewGetMe200JSONResponse(api.User{Username: subject(req.Principal), Scopes: scopes}), nil
}

// subject is the caller's name; the handler never calls a protected
// operation without a principal, but a nil one is not a reason to panic.
func subject(p *auth.Principal) string {
	if p == nil {
		return ""
	}
	return p.Subject
}

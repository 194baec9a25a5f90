package types_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/securegen/securegen/internal/e2e/types"
)

type store struct{ types.Unimplemented }

func (store) CreatePet(_ context.Context, req types.CreatePetRequest) (types.CreatePetResponse, error) {
	if req.Body.Name == "" {
		return types.NewCreatePetDefaultProblemJSONResponse(422, types.Error{Title: "name is empty"}), nil
	}
	return types.NewCreatePet201JSONResponse(req.Body), nil
}

func (store) EchoShape(_ context.Context, req types.EchoShapeRequest) (types.EchoShapeResponse, error) {
	v, err := req.Body.Value()
	if err != nil {
		return nil, err
	}
	var out types.Shape
	switch s := v.(type) {
	case types.Cat:
		s.Lives--
		err = out.FromCat(s)
	case types.Dog:
		err = out.FromDog(s)
	}
	return types.NewEchoShape200JSONResponse(out), err
}

func (store) EchoTree(_ context.Context, req types.EchoTreeRequest) (types.EchoTreeResponse, error) {
	return types.NewEchoTree200JSONResponse(req.Body), nil
}

func post(t *testing.T, path, body string) (int, string, string) {
	t.Helper()
	h, err := types.NewHandler(store{}, types.Security{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Content-Type"), strings.TrimSpace(w.Body.String())
}

func TestObjectRoundTripsThroughTypedStruct(t *testing.T) {
	in := `{"born":"2020-02-29","chip":9007199254740993,"id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","labels":{"a":"b"},"name":"Rex","nickname":null,"status":"available","toys":[{"name":"ball","squeaks":true}],"updated":"2024-01-02T03:04:05Z","weight":1.5}`
	code, ct, out := post(t, "/pets", in)
	if code != 201 || ct != "application/json" {
		t.Fatalf("got %d %s: %s", code, ct, out)
	}
	// nickname is optional and nullable: null and absent both become nil
	// and are left out when encoded.
	want := strings.Replace(in, `"nickname":null,`, "", 1)
	if out != want {
		t.Fatalf("round trip changed the pet:\n got %s\nwant %s", out, want)
	}
}

func TestDefaultAnswerCarriesItsStatusAndMediaType(t *testing.T) {
	code, ct, out := post(t, "/pets", `{"born":"2020-02-29","id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","name":"","status":"sold"}`)
	if code != 422 || ct != "application/problem+json" || !strings.Contains(out, "name is empty") {
		t.Fatalf("got %d %s: %s", code, ct, out)
	}
}

func TestFormatsAreTyped(t *testing.T) {
	var p types.Pet
	if err := json.Unmarshal([]byte(`{"id":"not-a-uuid"}`), &p); err == nil {
		t.Fatal("uuid format accepted an invalid UUID")
	}
	if err := json.Unmarshal([]byte(`{"updated":"2024-01-02T03:04:05Z","born":"2020-02-29"}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Updated.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || p.Born.String() != "2020-02-29" {
		t.Fatalf("formats decoded wrong: %v %v", p.Updated, p.Born)
	}
	var _ *int32 = p.Age
	var _ *int64 = p.Chip
	var _ *float32 = p.Weight
	var _ *float64 = p.Height
	var _ []byte = p.Signature
}

func TestEnumsAreTypedConstants(t *testing.T) {
	if !types.StatusSold.Valid() || types.Status("lost").Valid() {
		t.Fatal("Valid does not match the enum")
	}
	if types.PetCollarColorEmpty != "" || types.PetCollarSizeN3 != 3 {
		t.Fatal("enum constants have wrong values")
	}
}

func TestOneOfWithDiscriminatorSelectsTheVariant(t *testing.T) {
	code, _, out := post(t, "/shapes", `{"kind":"cat","lives":9}`)
	if code != 200 || out != `{"kind":"cat","lives":8}` {
		t.Fatalf("got %d %s", code, out)
	}
	code, _, out = post(t, "/shapes", `{"kind":"dog","goodBoy":true}`)
	if code != 200 || out != `{"goodBoy":true,"kind":"dog"}` {
		t.Fatalf("got %d %s", code, out)
	}
	code, _, out = post(t, "/shapes", `{"kind":"fish"}`)
	if code != 400 || !strings.Contains(out, `"location":"/body/kind","rule":"discriminator"`) {
		t.Fatalf("unknown variant: %d %s", code, out)
	}
}

func TestAnyOfAccessors(t *testing.T) {
	var e types.Either
	if err := e.FromInt(42); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	var back types.Either
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if n, err := back.AsInt(); err != nil || n != 42 {
		t.Fatalf("AsInt = %d, %v", n, err)
	}
	if _, err := back.AsString(); err == nil {
		t.Fatal("AsString accepted a number")
	}
}

func TestRecursiveSchemasAreTypedWithPointers(t *testing.T) {
	in := `{"children":[{"left":null,"value":2}],"forest":{"root":{"left":null,"value":4}},"left":{"left":null,"value":1},"value":0}`
	code, _, out := post(t, "/trees", in)
	if code != 200 || out != in {
		t.Fatalf("got %d\n%s\nwant\n%s", code, out, in)
	}
	var tr types.Tree
	var _ *types.Tree = tr.Left
	var _ []types.Tree = tr.Children
}

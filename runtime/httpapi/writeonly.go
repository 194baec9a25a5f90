package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// WriteJSONAnswerWithout writes a generated JSON answer after strip has
// deleted, from its encoded form, the properties the spec marks
// writeOnly: whatever Go value the handler put there, a writeOnly
// property never leaves the server (OWASP API3). Numbers keep their text.
func WriteJSONAnswerWithout(w http.ResponseWriter, h http.Header, status int, contentType string, v any, strip func(any)) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	strip(generic)
	CopyHeaders(w, h)
	return WriteJSON(w, status, contentType, generic)
}

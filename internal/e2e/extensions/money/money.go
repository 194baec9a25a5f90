// Package money is a user's own type, named in a spec with x-go-type, the
// way teams coming from oapi-codegen name theirs.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a sum of money in cents, written in JSON as a decimal string
// such as "12.34".
type Amount struct{ Cents int64 }

// UnmarshalJSON reads "12.34".
func (a *Amount) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	units, cents, ok := strings.Cut(s, ".")
	if !ok || len(cents) != 2 {
		return errors.New("amount: want units.cents")
	}
	u, err1 := strconv.ParseInt(units, 10, 64)
	c, err2 := strconv.ParseInt(cents, 10, 64)
	if err1 != nil || err2 != nil || u > 1e12 {
		return errors.New("amount: not a sum of money")
	}
	a.Cents = u*100 + c
	return nil
}

// MarshalJSON writes "12.34".
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("%d.%02d", a.Cents/100, a.Cents%100))
}

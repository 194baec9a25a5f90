package validate

// slab hands out pointers to values from chunks of 4, then 16, so that a decoded
// body with many optional fields costs a few allocations, not one a field.
type slab[T any] struct{ buf []T }

func (s *slab[T]) put(v T) *T {
	if len(s.buf) == cap(s.buf) {
		// Small first: most bodies have a few optional fields of a type.
		n := 4
		if cap(s.buf) > 0 {
			n = 16
		}
		s.buf = make([]T, 0, n)
	}
	s.buf = append(s.buf, v)
	return &s.buf[len(s.buf)-1]
}

type slabs struct {
	strings  slab[string]
	ints     slab[int]
	int32s   slab[int32]
	int64s   slab[int64]
	float32s slab[float32]
	float64s slab[float64]
	bools    slab[bool]
}

// PtrString returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrString(v string) *string { return d.slabs.strings.put(v) }

// PtrInt returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrInt(v int) *int { return d.slabs.ints.put(v) }

// PtrInt32 returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrInt32(v int32) *int32 { return d.slabs.int32s.put(v) }

// PtrInt64 returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrInt64(v int64) *int64 { return d.slabs.int64s.put(v) }

// PtrFloat32 returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrFloat32(v float32) *float32 { return d.slabs.float32s.put(v) }

// PtrFloat64 returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrFloat64(v float64) *float64 { return d.slabs.float64s.put(v) }

// PtrBool returns a pointer to a copy of v, for an optional field.
func (d *Decoder) PtrBool(v bool) *bool { return d.slabs.bools.put(v) }

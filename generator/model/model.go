// Package model turns a loaded OpenAPI document into the typed model that
// every later stage reads: Go names, Go types of schemas, routes,
// parameters with their styles, bodies, responses, and security normalized
// into one shape. Every decision about the spec is made here, once;
// templates only lay the model out, and audit and diff read the same
// model.
package model

import (
	"github.com/securegen/securegen/generator/diag"
)

// API is the model of one spec: everything one generated package needs.
type API struct {
	Package string
	// Title is the spec's info.title; it is the default realm of challenges.
	Title string

	Types []*Type
	// Imports are the packages of the types the spec names with x-go-type.
	Imports    []GoImport
	Operations []*Operation
	Schemes    []*Scheme
	Scopes     []*ScopeConst
	// Checks are the validators of request and response schemas; Bounds
	// the constraint variables they use.
	Checks []*Check
	Bounds []*Bounds
	// Decoders read request bodies of struct types in one pass.
	Decoders []*StructDecoder
	// Strippers delete writeOnly properties from answers.
	Strippers []*Stripper
	// Realm names the protection space in challenges.
	Realm string
	// HasTokenPaths is set when some scheme has TokenPaths.
	HasTokenPaths bool

	scopeNames map[string]string
}

// TypeKind says what Go declaration a Type becomes.
type TypeKind uint8

// The kinds of named types.
const (
	// StructType is an object with properties.
	StructType TypeKind = iota
	// EnumType is a defined type over a basic type, with a constant per value.
	EnumType
	// DefinedType is a defined type over another Go type: type X []Y.
	DefinedType
	// UnionType holds a oneOf or anyOf value as raw JSON, with accessors
	// per variant.
	UnionType
)

// Type is a named Go type declared by the generated package.
type Type struct {
	Name string
	Doc  string
	Kind TypeKind
	// Fields of a StructType, in the order of the schema's properties.
	Fields []*Field
	// Underlying is the Go type a DefinedType stands for.
	Underlying *GoType
	// Base is the basic type of an EnumType.
	Base Basic
	// Values of an EnumType.
	Values []*EnumValue
	// Variants of a UnionType, and whether it came from oneOf (exactly one
	// must match) or anyOf.
	Variants []*Variant
	OneOf    bool
	// Summary completes a union's doc sentence.
	Summary string
	// Discriminator is the property that names a union's variant, if any.
	Discriminator string
	Location      diag.Location
}

// IsStruct reports whether t is declared as a struct.
func (t *Type) IsStruct() bool { return t.Kind == StructType }

// IsEnum reports whether t is an enumeration with a constant per value.
func (t *Type) IsEnum() bool { return t.Kind == EnumType }

// IsDefined reports whether t stands for another Go type.
func (t *Type) IsDefined() bool { return t.Kind == DefinedType }

// IsUnion reports whether t holds a oneOf or anyOf value.
func (t *Type) IsUnion() bool { return t.Kind == UnionType }

// Field is a field of a struct type.
type Field struct {
	Name     string
	JSONName string
	// Type is the field's type; with Pointer, the field holds a pointer
	// to it.
	Type     *GoType
	Doc      string
	Required bool
	Nullable bool
	// Pointer is set when the field is optional or nullable and Type has
	// no nil of its own, or when it breaks a cycle of value types.
	Pointer bool
	// OmitEmpty leaves the field out of JSON when it is empty: set for
	// optional properties.
	OmitEmpty bool
}

// EnumValue is one constant of an enum type.
type EnumValue struct {
	Name string
	// Value is the constant's value: a string or an int64.
	Value any
}

// Variant is one alternative of a union type.
type Variant struct {
	// Name is the suffix of the accessors: AsName, FromName.
	Name string
	Type *GoType
	// Tags are the discriminator values that select this variant.
	Tags []string
}

// Operation is one operation of the spec, with all its routing, binding
// and security decided.
type Operation struct {
	// ID is the spec's operationId, or one derived from method and path.
	ID string
	// Name is the Go method name on the Server interface.
	Name   string
	Method string // upper case: GET
	Path   string // the path key from the spec
	// Pattern is the net/http.ServeMux pattern: "GET /items/{itemId}".
	Pattern string
	Doc     string

	RequestType  string
	ResponseType string
	// Var is the package-level variable that holds the operation's
	// auth.Operation.
	Var string
	// handlerName is the unexported method that serves the operation.
	HandlerName string

	Params []*Param
	Body   *Body
	// Responses are in order: status codes ascending, then ranges, then default.
	Responses []*Response

	Security Security
	Location diag.Location
	// Validates is set when some parameter or the body has a Check.
	Validates bool
	// ObjectCheck asks the Server, through its AuthorizeName method,
	// whether the caller may act on the object the request names, after
	// security and validation and before the operation runs.
	ObjectCheck   bool
	AuthorizeName string
	// RateLimit is the operation's limit; nil for none.
	RateLimit *RateLimit
}

// ParamIn is where a parameter is.
type ParamIn string

// The locations of parameters.
const (
	InPath   ParamIn = "path"
	InQuery  ParamIn = "query"
	InHeader ParamIn = "header"
	InCookie ParamIn = "cookie"
)

// Param is a parameter of an operation.
type Param struct {
	Name   string // as the spec names it
	GoName string // field of the request struct
	In     ParamIn
	// Style is the effective style, as the spec spells it.
	Style string
	// Explode is the effective explode setting.
	Explode  bool
	Required bool
	// Type is the field's type; with Pointer, the field holds a pointer
	// to it (an optional parameter whose type has no nil of its own).
	Type    *GoType
	Pointer bool
	Doc     string
	// Wildcard is the ServeMux wildcard that captures a path parameter.
	Wildcard string
	// Prefix and Suffix are literal text around a path parameter that
	// shares its segment with them, as in /files/{name}.json.
	Prefix, Suffix string
	// JSON is set for parameters whose content is application/json.
	JSON bool
	// Check validates the bound value; "" when the schema constrains
	// nothing a Go type does not already.
	Check string
}

// Body is an operation's request body.
type Body struct {
	Required bool
	// Type is the type JSON and form bodies decode into; nil when the
	// body has neither. With Pointer, the request field is a pointer to
	// it (an optional body).
	Type    *GoType
	Pointer bool
	// ContentTypes are the media types the spec accepts, sorted.
	ContentTypes []string
	// Raw is set when some accepted media type is neither JSON nor a
	// typed form: such bodies reach the handler unread.
	Raw bool
	// Forms are the form media types decoded into Type, in the order of
	// ContentTypes.
	Forms []*Form
	// AnyJSON is set when a JSON media type is accepted.
	AnyJSON bool
	// Accept is ContentTypes joined by spaces.
	Accept string
	// Check validates a JSON body before it is decoded into Type.
	Check string
	// Decoder, when set, decodes and checks a JSON body in one pass; it is
	// used for bodies whose type is a struct and that are JSON only.
	Decoder string
}

// Source names, for doc comments, what the typed body is decoded from:
// "JSON", "form" or "JSON or form".
func (b *Body) Source() string {
	switch {
	case b.AnyJSON && len(b.Forms) > 0:
		return "JSON or form"
	case len(b.Forms) > 0:
		return "form"
	}
	return "JSON"
}

// StatusRange is the status codes an answer of a range (2XX) or the
// default response may carry, Lo to Hi inclusive.
type StatusRange struct{ Lo, Hi int }

// Response is one declared answer: a status and a content type.
type Response struct {
	// TypeName is the Go type of this answer; Constructor builds it.
	TypeName    string
	Constructor string
	// Status is the status code; 0 for default and ranges, whose type
	// carries the code within Range.
	Status int
	Range  *StatusRange
	// StatusKey is the key in the spec: "200", "2XX", "default".
	StatusKey   string
	ContentType string
	// JSON is set when the body is JSON-encoded from Body.
	JSON bool
	// Body is the Go type of the body: nil when there is none, a stream
	// for media types other than JSON.
	Body *GoType
	Doc  string
	// Summary completes the type's doc sentence.
	Summary string
	// Check validates the JSON body, when responses are validated.
	Check string
	// Strip deletes the writeOnly properties of the JSON body before it
	// is sent; "" when the schema has none.
	Strip string
}

// Security is an operation's effective security requirement, normalized:
// Public, or an OR over Alternatives with an AND inside each. An empty
// alternative admits anonymous callers. Scopes stay with their
// alternative; they are never merged across alternatives.
type Security struct {
	Public       bool
	Alternatives [][]Need
	// Inherited is set when the requirement came from the root.
	Inherited bool
	// Implicit is set when no security applies because neither the
	// operation nor the root declares any (as opposed to security: []).
	Implicit bool
}

// Anonymous reports whether some alternative admits anonymous callers.
func (s Security) Anonymous() bool {
	for _, alt := range s.Alternatives {
		if len(alt) == 0 {
			return true
		}
	}
	return false
}

// Need is a scheme within an alternative, with the scopes (or roles) it
// must grant. runtime/auth names the same thing auth.Need.
type Need struct {
	Scheme *Scheme
	Scopes []string
}

// SchemeType mirrors auth.SchemeType by name.
type SchemeType string

// Scheme types, named as runtime/auth names its constants.
const (
	HTTPBearer    SchemeType = "HTTPBearer"
	HTTPBasic     SchemeType = "HTTPBasic"
	APIKey        SchemeType = "APIKeyAuth"
	OAuth2        SchemeType = "OAuth2"
	OpenIDConnect SchemeType = "OpenIDConnect"
	MutualTLS     SchemeType = "MutualTLS"
	Unsupported   SchemeType = "Unsupported"
)

// Scheme is a security scheme declared in the spec.
type Scheme struct {
	Key string // the key under components.securitySchemes
	// GoName is the field of the generated Security struct.
	GoName string
	Type   SchemeType
	// SpecType is the type as the spec spells it, with the http scheme:
	// "http bearer", "apiKey", "http negotiate".
	SpecType string
	// In and KeyName locate an apiKey: In is header, query or cookie.
	In      string
	KeyName string
	// Where says, for docs, where an apiKey goes: ` in header "X-Key"`.
	Where string
	// Description is the spec's description of the scheme.
	Description string
	Flows       []*Flow
	// Used is set when some operation's requirement names the scheme.
	Used bool
	// Undeclared is set for a scheme that requirements name but the spec
	// does not declare: it stands in, unsupported, so that the
	// alternatives naming it admit nobody.
	Undeclared bool
	// TokenPaths are tokenUrl and refreshUrl paths on the API itself where
	// the generated handler mounts an issuer's token endpoint.
	TokenPaths []string
	Location   diag.Location
}

// Flow is one OAuth2 flow of a scheme.
type Flow struct {
	Name             string // implicit, password, clientCredentials, authorizationCode
	AuthorizationURL string
	TokenURL         string
	RefreshURL       string
	Scopes           []string
}

// ScopeConst is a generated constant for a scope or role.
type ScopeConst struct {
	Name  string
	Value string
	Doc   string
}

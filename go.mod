module github.com/securegen/securegen

go 1.26.0

require (
	github.com/getkin/kin-openapi v0.153.0
	go.yaml.in/yaml/v4 v4.0.0
	golang.org/x/tools v0.6.0
)

require (
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	golang.org/x/mod v0.8.0 // indirect
	golang.org/x/sys v0.5.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)

require github.com/securegen/securegen/runtime v0.0.0-00010101000000-000000000000

module github.com/securegen/securegen

go 1.26.0

require (
	github.com/getkin/kin-openapi v0.153.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)

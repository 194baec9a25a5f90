module github.com/securegen/securegen/examples

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/redis/go-redis/v9 v9.23.0
	github.com/securegen/securegen/runtime v0.0.0-00010101000000-000000000000
	github.com/securegen/securegen/runtime/issuer/redisstore v0.0.0-00010101000000-000000000000
	github.com/tsenart/vegeta/v12 v12.13.0
	golang.org/x/crypto v0.59.0
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/influxdata/tdigest v0.0.1 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	github.com/oapi-codegen/runtime v1.9.0 // indirect
	github.com/rs/dnscache v0.0.0-20230804202142-fc85eb664529 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

// The runtime modules live in this repository; go.work at the repository
// root ties them for local work as well.
replace (
	github.com/securegen/securegen/runtime => ../runtime
	github.com/securegen/securegen/runtime/issuer/redisstore => ../runtime/issuer/redisstore
)

module github.com/securegen/securegen/runtime/issuer/redisstore

go 1.26.0

require (
	github.com/redis/go-redis/v9 v9.23.0
	github.com/securegen/securegen/runtime v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.59.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// The runtime module lives two directories up; go.work at the repository
// root ties them for local work as well.
replace github.com/securegen/securegen/runtime => ../..

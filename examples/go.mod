module github.com/securegen/securegen/examples

go 1.26.0

require (
	github.com/redis/go-redis/v9 v9.23.0
	github.com/securegen/securegen/runtime v0.0.0-00010101000000-000000000000
	github.com/securegen/securegen/runtime/issuer/redisstore v0.0.0-00010101000000-000000000000
)

// The runtime modules live in this repository; go.work at the repository
// root ties them for local work as well.
replace (
	github.com/securegen/securegen/runtime => ../runtime
	github.com/securegen/securegen/runtime/issuer/redisstore => ../runtime/issuer/redisstore
)

module github.com/securegen/securegen/e2e/hydra

go 1.26.0

module webserv

go 1.26.8

require (
	github.com/andybalholm/brotli v1.3.0
	github.com/klauspost/compress v1.20.4
	golang.org/x/net v0.63.0
)

require golang.org/x/text v0.44.0 // indirect

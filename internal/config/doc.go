// Package config reads webserv's nginx-like configuration language (SPEC
// §2) into an immutable, fully inherited and validated *Config. Load reads
// a file; Parse reads bytes with a name and a directory for relative paths.
//
// The work is split the way Caddy splits its caddyfile:
//
//   - lexer.go is a small hand-written lexer. Every token carries its
//     FILE:LINE:COL (1-based, columns in bytes). It knows comments ("#" at
//     the start of a word), single and double quotes with \" \' \\ \n \t
//     escapes, and the structural tokens ";", "{" and "}" (which split
//     unquoted words, as in nginx).
//
//   - parse.go reads statements (a name, arguments, then ";" or a block),
//     expands include globs in place at any level, accepts the optional
//     http { } wrapper as main level, and builds the result. Each block's
//     directives are recorded as small functions that set one field; a
//     Location is built by running the main, server and location functions
//     in that order on a fresh value of defaults, so the innermost level
//     wins, and a level that declares a list directive (index, error_page,
//     add_header, cgi) replaces the inherited list, as nginx does.
//
//   - directives.go is the directive table: context, block or not,
//     argument count, repeatability, and the function that checks the
//     values. The generic checks run in nginx's order (unknown directive,
//     not allowed here, block, argument count, duplicate) so that messages
//     read like nginx's.
//
// Every problem is found at load time, never at request time: values are
// type-checked, root, alias, upload_store and TLS files must exist, CGI
// interpreters must be found and executable, and after parsing the servers
// are checked against each other (one default_server per address, no name
// claimed twice on an address). Every error is an *Error whose message
// starts with the position of the offending token: the directive name for
// unknown, misplaced or mis-counted directives, the argument for a bad
// value. docs/configuration.md documents each directive for nginx users.
package config

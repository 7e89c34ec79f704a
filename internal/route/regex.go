package route

import "webserv/internal/config"

// Select is Location for a request that may need a regex location's
// captures ($1...$9): when the chosen location's directives use them
// (config.Location.Captures), caps holds the submatch indices into path,
// as regexp.FindStringSubmatchIndex gives them. Go's regexp allocates
// for submatches, so only such locations cost an allocation; every other
// selection matches with MatchString and allocates nothing.
func Select(s *config.Server, path string) (loc *config.Location, caps []int) {
	loc = Location(s, path)
	if loc.Captures && loc.Regex != nil {
		caps = loc.Regex.FindStringSubmatchIndex(path)
	}
	return loc, caps
}

// Named returns s's `location @name` (name with its "@"), or nil.
func Named(s *config.Server, name string) *config.Location {
	for _, l := range s.Locations {
		if l.Named && l.Path == name {
			return l
		}
	}
	return nil
}

// regexLocation returns the first regex location of s, in declaration
// order, whose pattern matches path (nginx tries them in file order and
// takes the first), or nil.
func regexLocation(s *config.Server, path string) *config.Location {
	for _, l := range s.Locations {
		if l.Regex != nil && l.Regex.MatchString(path) {
			return l
		}
	}
	return nil
}

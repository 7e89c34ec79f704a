package route

import "webserv/internal/config"

// Select is Location for a request that may need a regex location's
// captures ($1...$9): when the chosen location's directives use them
// (config.Location.Captures), caps holds the submatch indices into path,
// as regexp.FindStringSubmatchIndex gives them. Go's regexp allocates
// for submatches, so only such locations cost an allocation; every other
// selection matches with MatchString and allocates nothing.
func Select(s *config.Server, path string) (loc *config.Location, caps []int) {
	return selectLocation(s, path, true)
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
// takes the first), or nil; with wantCaps, the submatches of a location
// that uses them, found by the same single match.
func regexLocation(s *config.Server, path string, wantCaps bool) (*config.Location, []int) {
	for _, l := range s.Locations {
		if l.Regex == nil {
			continue
		}
		if wantCaps && l.Captures {
			if caps := l.Regex.FindStringSubmatchIndex(path); caps != nil {
				return l, caps
			}
			continue
		}
		if l.Regex.MatchString(path) {
			return l, nil
		}
	}
	return nil, nil
}

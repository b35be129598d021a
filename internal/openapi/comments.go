package openapi

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// comments returns d's leading comment, each line stripped of the one space
// protoc leaves after "//", or "" when the descriptor carries no source
// information.
func comments(d protoreflect.Descriptor) string {
	file := d.ParentFile()
	if file == nil {
		return ""
	}
	loc := file.SourceLocations().ByDescriptor(d)
	lines := strings.Split(strings.TrimRight(loc.LeadingComments, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// summarize splits a comment into its first paragraph, the summary, and
// the rest, the description, as protoc-gen-openapiv2 does.
func summarize(c string) (summary, description string) {
	first, rest, found := strings.Cut(c, "\n\n")
	if !found {
		return c, ""
	}
	return strings.TrimSpace(first), strings.TrimSpace(rest)
}

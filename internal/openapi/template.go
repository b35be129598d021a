package openapi

import (
	"fmt"
	"strings"
)

// A segment of a parsed google.api.http path template: a literal, a
// wildcard ("*" or "**"), or a variable binding a field path to segments of
// its own.
type segment struct {
	literal  string
	wildcard string    // "*" or "**"
	field    string    // a variable's field path, such as "book.name"
	sub      []segment // a variable's segments; {name} is {name=*}
}

// template is a parsed path template.
type template struct {
	segments []segment
	verb     string
}

// parseTemplate parses a google.api.http path template:
//
//	Template = "/" Segments [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	Verb     = ":" LITERAL ;
func parseTemplate(s string) (template, error) {
	if !strings.HasPrefix(s, "/") {
		return template{}, fmt.Errorf("path template %q does not start with /", s)
	}
	p := &templateParser{s: s, pos: 1}
	segs, err := p.segments(false)
	if err != nil {
		return template{}, fmt.Errorf("path template %q: %w", s, err)
	}
	t := template{segments: segs}
	if p.pos < len(s) && s[p.pos] == ':' {
		t.verb = s[p.pos+1:]
		if t.verb == "" || strings.ContainsAny(t.verb, "/{}*:") {
			return template{}, fmt.Errorf("path template %q: malformed verb %q", s, t.verb)
		}
		p.pos = len(s)
	}
	if p.pos != len(s) {
		return template{}, fmt.Errorf("path template %q: unexpected %q at offset %d", s, s[p.pos:], p.pos)
	}
	return t, nil
}

type templateParser struct {
	s   string
	pos int
}

func (p *templateParser) segments(inVariable bool) ([]segment, error) {
	var segs []segment
	for {
		seg, err := p.segment(inVariable)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
		if p.pos < len(p.s) && p.s[p.pos] == '/' {
			p.pos++
			continue
		}
		return segs, nil
	}
}

func (p *templateParser) segment(inVariable bool) (segment, error) {
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "**"):
		p.pos += 2
		return segment{wildcard: "**"}, nil
	case strings.HasPrefix(rest, "*"):
		p.pos++
		return segment{wildcard: "*"}, nil
	case strings.HasPrefix(rest, "{"):
		if inVariable {
			return segment{}, fmt.Errorf("nested variable at offset %d", p.pos)
		}
		return p.variable()
	}
	end := strings.IndexAny(rest, "/{}*:=")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return segment{}, fmt.Errorf("empty segment at offset %d", p.pos)
	}
	p.pos += end
	return segment{literal: rest[:end]}, nil
}

func (p *templateParser) variable() (segment, error) {
	p.pos++ // "{"
	rest := p.s[p.pos:]
	end := strings.IndexAny(rest, "=}")
	if end <= 0 {
		return segment{}, fmt.Errorf("malformed variable at offset %d", p.pos-1)
	}
	v := segment{field: rest[:end], sub: []segment{{wildcard: "*"}}}
	for _, part := range strings.Split(v.field, ".") {
		if part == "" || strings.ContainsAny(part, "/*: ") {
			return segment{}, fmt.Errorf("malformed field path %q", v.field)
		}
	}
	p.pos += end
	if p.s[p.pos] == '=' {
		p.pos++
		sub, err := p.segments(true)
		if err != nil {
			return segment{}, err
		}
		v.sub = sub
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '}' {
		return segment{}, fmt.Errorf("variable {%s not closed", v.field)
	}
	p.pos++
	return v, nil
}

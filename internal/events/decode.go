package events

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode parses an event into r. It accepts exactly the JSON that
// encoding/json accepts for Request, with the same result (so objects and
// arrays nest at most 10,000 deep, the event's own object included, and
// deeper events are refused in bounded time and stack), but it does not
// materialise the body as a string: when the body is base64 it is decoded
// straight from the event's bytes into Body (raw bytes), so a multi-megabyte
// body costs one pass and one allocation.
//
// After Decode, BodyBytes holds the body: decoded from base64 when
// IsBase64Encoded is set (BodyError then reports invalid base64), else the
// string's UTF-8 bytes.
func (r *Request) Decode(data []byte) error {
	d := decoder{data: data}
	d.ws()
	if d.pos >= len(d.data) {
		return d.errorf("empty event")
	}
	if d.null() {
		return d.end()
	}
	if d.data[d.pos] != '{' {
		// encoding/json would report a type error for other JSON values.
		if err := d.value(); err != nil {
			return err
		}
		if err := d.end(); err != nil {
			return err
		}
		return errors.New("json: cannot unmarshal a non-object into the event")
	}
	var body []byte
	bodyEscaped := false
	err := d.object(func(key []byte) error {
		switch fieldName(key) {
		case "version":
			return d.str(&r.Version)
		case "rawPath":
			return d.str(&r.RawPath)
		case "rawQueryString":
			return d.str(&r.RawQueryString)
		case "cookies":
			return d.strSlice(&r.Cookies)
		case "headers":
			return d.strMap(&r.Headers)
		case "multiValueHeaders":
			return d.strSliceMap(&r.MultiValueHeaders)
		case "queryStringParameters":
			return d.strMap(&r.QueryStringParameters)
		case "multiValueQueryStringParameters":
			return d.strSliceMap(&r.MultiValueQueryStringParameters)
		case "httpMethod":
			return d.str(&r.HTTPMethod)
		case "path":
			return d.str(&r.Path)
		case "requestContext":
			d.ws()
			start := d.pos
			// Decode the context in this pass; only a context that is
			// valid JSON of another shape is scanned a second time.
			ctx := decoder{data: d.data, pos: start, depth: d.depth}
			r.Context = RequestContext{}
			if r.ContextError = ctx.context(&r.Context); r.ContextError == nil {
				d.pos = ctx.pos
			} else if err := d.value(); err != nil {
				return err
			}
			raw := d.data[start:d.pos]
			if string(raw) == "null" {
				// A later null replaces an earlier context, as it does for
				// encoding/json's RawMessage (and for Context, reset above).
				r.RequestContext = nil
				return nil
			}
			r.RequestContext = append(r.RequestContext[:0], raw...)
			return nil
		case "body":
			if d.null() {
				return nil
			}
			raw, escaped, err := d.rawString()
			if err != nil {
				return err
			}
			body, bodyEscaped = raw, escaped
			return nil
		case "isBase64Encoded":
			return d.boolean(&r.IsBase64Encoded)
		}
		return d.value()
	})
	if err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	r.BodyBytes, r.BodyError = nil, nil
	if body == nil {
		return nil
	}
	if bodyEscaped || !utf8.Valid(body) {
		// Unescaping shrinks the body (but for invalid UTF-8, replaced by
		// three bytes each): its length is the buffer to start with.
		body = unescape(make([]byte, 0, len(body)), body)
	}
	r.Body = ""
	if r.IsBase64Encoded {
		out := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(out, body)
		// A bad body is the request's problem, not the event's: the caller
		// answers it in the request's own protocol.
		r.BodyError = err
		if err == nil {
			r.BodyBytes = out[:n]
		}
		return nil
	}
	r.BodyBytes = body
	if bodyEscaped {
		return nil
	}
	// The body aliases data: copy so the request does not pin the event.
	r.BodyBytes = bytes.Clone(body)
	return nil
}

var fieldNames = []string{
	"version", "rawPath", "rawQueryString", "cookies", "headers", "multiValueHeaders",
	"queryStringParameters", "multiValueQueryStringParameters", "httpMethod", "path",
	"requestContext", "body", "isBase64Encoded",
}

// fieldName returns the Request field a key names.
func fieldName(key []byte) string { return match(key, fieldNames) }

// match returns the name in names that key selects: matching exactly first
// and then, as encoding/json does, case-insensitively.
func match(key []byte, names []string) string {
	for _, n := range names {
		if string(key) == n {
			return n
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return n
		}
	}
	return ""
}

var (
	contextFields  = []string{"domainName", "requestId", "apiId", "stage", "http", "identity", "elb"}
	httpFields     = []string{"method", "path", "protocol", "sourceIp", "userAgent"}
	identityFields = []string{"sourceIp", "userAgent", "userArn", "accountId", "caller", "user", "accessKey"}
	elbFields      = []string{"targetGroupArn"}
)

// context decodes a requestContext value into rc, accepting exactly what
// encoding/json accepts for RequestContext, with the same result.
func (d *decoder) context(rc *RequestContext) error {
	if d.null() {
		return nil
	}
	return d.object(func(key []byte) error {
		switch match(key, contextFields) {
		case "domainName":
			return d.str(&rc.DomainName)
		case "requestId":
			return d.str(&rc.RequestID)
		case "apiId":
			return d.str(&rc.APIID)
		case "stage":
			// Nearly every event names the "$default" stage (Function URLs
			// always do): it costs no allocation.
			return d.strCommon(&rc.Stage, "$default")
		case "http":
			if d.null() {
				rc.HTTP = nil
				return nil
			}
			if rc.HTTP == nil {
				rc.HTTP = new(V2HTTP)
			}
			h := rc.HTTP
			return d.strFields(httpFields, &h.Method, &h.Path, &h.Protocol, &h.SourceIP, &h.UserAgent)
		case "identity":
			if d.null() {
				rc.Identity = nil
				return nil
			}
			if rc.Identity == nil {
				rc.Identity = new(V1Identity)
			}
			id := rc.Identity
			return d.strFields(identityFields, &id.SourceIP, &id.UserAgent, &id.UserARN, &id.AccountID, &id.Caller, &id.User, &id.AccessKey)
		case "elb":
			if d.null() {
				rc.ELB = nil
				return nil
			}
			if rc.ELB == nil {
				rc.ELB = &struct {
					TargetGroupARN string `json:"targetGroupArn"`
				}{}
			}
			return d.strFields(elbFields, &rc.ELB.TargetGroupARN)
		}
		return d.value()
	})
}

// strFields decodes an object whose fields of interest are all strings:
// names[i] goes into fields[i], other keys are skipped.
func (d *decoder) strFields(names []string, fields ...*string) error {
	return d.object(func(key []byte) error {
		if i := slices.Index(names, match(key, names)); i >= 0 {
			return d.str(fields[i])
		}
		return d.value()
	})
}

// maxDepth is how deeply objects and arrays may nest, the event's own object
// included. It is encoding/json's limit, so Decode accepts what
// encoding/json accepts; it also bounds the decoder's recursion, which would
// otherwise follow an event of millions of '[' until the goroutine stack
// overflowed, a fatal error that no recover stops.
const maxDepth = 10000

type decoder struct {
	data  []byte
	pos   int
	depth int // objects and arrays open at pos
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid event JSON at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) end() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.errorf("unexpected data after the event")
	}
	return nil
}

func (d *decoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) null() bool {
	d.ws()
	if bytes.HasPrefix(d.data[d.pos:], []byte("null")) {
		d.pos += 4
		return true
	}
	return false
}

// object calls field for each key with the decoder positioned at its value.
func (d *decoder) object(field func(key []byte) error) error {
	if !d.consume('{') {
		return d.errorf("expected an object")
	}
	if err := d.enter(); err != nil {
		return err
	}
	if d.consume('}') {
		d.depth--
		return nil
	}
	for {
		d.ws()
		raw, escaped, err := d.rawString()
		if err != nil {
			return err
		}
		key := raw
		if escaped || !utf8.Valid(raw) {
			key = unescape(nil, raw)
		}
		if !d.consume(':') {
			return d.errorf("expected ':' after an object key")
		}
		if err := field(key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			d.depth--
			return nil
		}
		return d.errorf("expected ',' or '}' in an object")
	}
}

func (d *decoder) array(elem func() error) error {
	if !d.consume('[') {
		return d.errorf("expected an array")
	}
	if err := d.enter(); err != nil {
		return err
	}
	if d.consume(']') {
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			d.depth--
			return nil
		}
		return d.errorf("expected ',' or ']' in an array")
	}
}

// enter counts an object or array just opened. Only successful returns
// close one again (depth--): an error ends the whole decode, and the
// requestContext's attempt runs on a decoder of its own.
func (d *decoder) enter() error {
	if d.depth++; d.depth > maxDepth {
		return d.tooDeep()
	}
	return nil
}

// tooDeep reports the object or array that exceeded maxDepth. It is kept
// out of line so that object and array, which inline enter, carry only the
// counter on their hot path.
//
//go:noinline
func (d *decoder) tooDeep() error {
	d.pos--
	return d.errorf("exceeded max depth: objects and arrays nest more than %d deep", maxDepth)
}

// rawString reads a string and returns its bytes between the quotes, and
// whether they contain escapes.
func (d *decoder) rawString() ([]byte, bool, error) {
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false, d.errorf("expected a string")
	}
	start := d.pos + 1
	escaped := false
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return d.data[start:i], escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(d.data) {
				return nil, false, d.errorf("unterminated string")
			}
			switch d.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d.data) || !isHex4(d.data[i+1:i+5]) {
					d.pos = i
					return nil, false, d.errorf("invalid \\u escape")
				}
				i += 4
			default:
				d.pos = i
				return nil, false, d.errorf("invalid escape")
			}
		case c < 0x20:
			d.pos = i
			return nil, false, d.errorf("control character in a string")
		}
	}
	return nil, false, d.errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// unescape appends the decoded content of a validated raw string, replacing
// invalid UTF-8 and lone surrogates with U+FFFD as encoding/json does.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			switch raw[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
							dst = utf8.AppendRune(dst, r2)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, raw[i+1])
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, raw[i:i+size]...)
		}
		i += size
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

func (d *decoder) stringValue() (string, error) {
	raw, escaped, err := d.rawString()
	if err != nil {
		return "", err
	}
	if escaped || !utf8.Valid(raw) {
		return string(unescape(nil, raw)), nil
	}
	return string(raw), nil
}

// str decodes a string or null (which leaves *s as it is).
func (d *decoder) str(s *string) error {
	if d.null() {
		return nil
	}
	v, err := d.stringValue()
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// strCommon is str for a field whose value is usually common: that value
// is shared rather than copied out of the event.
func (d *decoder) strCommon(s *string, common string) error {
	if d.null() {
		return nil
	}
	raw, escaped, err := d.rawString()
	if err != nil {
		return err
	}
	switch {
	case !escaped && string(raw) == common:
		*s = common
	case escaped || !utf8.Valid(raw):
		*s = string(unescape(nil, raw))
	default:
		*s = string(raw)
	}
	return nil
}

func (d *decoder) boolean(b *bool) error {
	d.ws()
	switch {
	case bytes.HasPrefix(d.data[d.pos:], []byte("true")):
		*b = true
		d.pos += 4
	case bytes.HasPrefix(d.data[d.pos:], []byte("false")):
		*b = false
		d.pos += 5
	case d.null():
	default:
		return d.errorf("expected a boolean")
	}
	return nil
}

func (d *decoder) strSlice(s *[]string) error {
	if d.null() {
		*s = nil
		return nil
	}
	out := (*s)[:0]
	if out == nil {
		out = []string{}
	}
	err := d.array(func() error {
		var v string
		if err := d.str(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	*s = out
	return err
}

func (d *decoder) strMap(m *map[string]string) error {
	if d.null() {
		*m = nil
		return nil
	}
	if *m == nil {
		*m = make(map[string]string)
	}
	return d.object(func(key []byte) error {
		var v string
		if d.null() {
			(*m)[string(key)] = ""
			return nil
		}
		if err := d.str(&v); err != nil {
			return err
		}
		(*m)[string(key)] = v
		return nil
	})
}

func (d *decoder) strSliceMap(m *map[string][]string) error {
	if d.null() {
		*m = nil
		return nil
	}
	if *m == nil {
		*m = make(map[string][]string)
	}
	return d.object(func(key []byte) error {
		var v []string
		if err := d.strSlice(&v); err != nil {
			return err
		}
		(*m)[string(key)] = v
		return nil
	})
}

// value skips any JSON value, validating it.
func (d *decoder) value() error {
	d.ws()
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of the event")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(func([]byte) error { return d.value() })
	case c == '[':
		return d.array(d.value)
	case c == '"':
		_, _, err := d.rawString()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return d.errorf("unexpected character %q", d.data[d.pos])
}

func (d *decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		return d.errorf("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

// number validates a JSON number by the grammar of RFC 8259.
func (d *decoder) number() error {
	p := d.pos
	if p < len(d.data) && d.data[p] == '-' {
		p++
	}
	switch {
	case p < len(d.data) && d.data[p] == '0':
		p++
	case p < len(d.data) && '1' <= d.data[p] && d.data[p] <= '9':
		for p < len(d.data) && '0' <= d.data[p] && d.data[p] <= '9' {
			p++
		}
	default:
		d.pos = p
		return d.errorf("invalid number")
	}
	if p < len(d.data) && d.data[p] == '.' {
		p++
		digits := p
		for p < len(d.data) && '0' <= d.data[p] && d.data[p] <= '9' {
			p++
		}
		if p == digits {
			d.pos = p
			return d.errorf("invalid number")
		}
	}
	if p < len(d.data) && (d.data[p] == 'e' || d.data[p] == 'E') {
		p++
		if p < len(d.data) && (d.data[p] == '+' || d.data[p] == '-') {
			p++
		}
		digits := p
		for p < len(d.data) && '0' <= d.data[p] && d.data[p] <= '9' {
			p++
		}
		if p == digits {
			d.pos = p
			return d.errorf("invalid number")
		}
	}
	d.pos = p
	return nil
}

package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS is a Function URL's CORS configuration (spec §4.8). Once set, the
// URL answers preflight requests itself and puts its CORS headers on every
// response, over any the function sets.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	// MaxAge is in seconds; 0 sends no Access-Control-Max-Age.
	MaxAge int `json:"maxAge"`
}

func (c *CORS) origin(o string) (string, bool) {
	for _, a := range c.AllowOrigins {
		if a == "*" {
			if c.AllowCredentials {
				return o, true
			}
			return "*", true
		}
		if strings.EqualFold(strings.TrimRight(a, "/"), o) {
			return o, true
		}
	}
	return "", false
}

// preflight answers an OPTIONS preflight; it reports false for any other
// request.
func (c *CORS) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h := w.Header()
	if allow, ok := c.origin(r.Header.Get("Origin")); ok {
		h.Set("Access-Control-Allow-Origin", allow)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if slices.Contains(c.AllowHeaders, "*") {
			h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
		} else if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		h.Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusOK)
	return true
}

// apply replaces the function's CORS headers with the URL's.
func (c *CORS) apply(h http.Header, origin string) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	allow, ok := c.origin(origin)
	if origin == "" || !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Add("Vary", "Origin")
}

// corsWriter applies the URL's CORS headers when the response starts.
type corsWriter struct {
	http.ResponseWriter
	cors    *CORS
	origin  string
	applied bool
}

func (w *corsWriter) WriteHeader(code int) {
	if !w.applied {
		w.applied = true
		w.cors.apply(w.Header(), w.origin)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *corsWriter) Write(p []byte) (int, error) {
	if !w.applied {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection for Flush.
func (w *corsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

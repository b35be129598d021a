// Package openapi builds an OpenAPI 3.1 document for the REST side of gRPC
// services, at run time, from their descriptors and google.api.http
// annotations: the same source the REST protocol reads, so the document
// describes exactly the routes it serves.
//
// The document follows grpc-gateway's JSON conventions: protojson's mapping
// of every field type (lowerCamel JSON names, 64-bit integers as decimal
// strings, bytes as base64, the well-known types' string forms), query
// parameters for the fields that neither the path nor the body binds, the
// newline-delimited {"result": ...} / {"error": ...} envelope of server
// streaming, and a google.rpc.Status JSON body for every error.
package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Version is the OpenAPI version of the documents Generate writes.
const Version = "3.1.0"

// Info is the document's info object. Empty fields get defaults: the title
// names the services, the version is "0".
type Info struct {
	Title       string
	Version     string
	Description string
	// Server is the URL, or the path, the document's paths are below (a
	// handler's path prefix, "/api"): the document's one server. Empty
	// means the paths are at the root.
	Server string
}

// Generate returns the OpenAPI 3.1 document, as indented JSON, of the
// methods of services that carry a google.api.http annotation; methods
// without one are left out. The output is deterministic: the same
// descriptors give the same bytes. It reports a malformed annotation (path
// template, body or response_body naming no field) by method, and two
// methods bound to the same method and path.
func Generate(services []protoreflect.ServiceDescriptor, info Info) ([]byte, error) {
	services = slices.Clone(services)
	slices.SortFunc(services, func(a, b protoreflect.ServiceDescriptor) int {
		return strings.Compare(string(a.FullName()), string(b.FullName()))
	})
	b := newBuilder()
	var errs []error
	var tags []any
	var names []string
	for _, sd := range services {
		names = append(names, string(sd.FullName()))
		tag := map[string]any{"name": string(sd.Name())}
		if c := comments(sd); c != "" {
			tag["description"] = c
		}
		tags = append(tags, tag)
		methods := sd.Methods()
		for i := range methods.Len() {
			if err := b.addMethod(methods.Get(i)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if info.Title == "" {
		info.Title = strings.Join(names, ", ")
		if info.Title == "" {
			info.Title = "REST API"
		}
	}
	if info.Version == "" {
		info.Version = "0"
	}
	infoObj := map[string]any{"title": info.Title, "version": info.Version}
	if info.Description != "" {
		infoObj["description"] = info.Description
	}
	doc := map[string]any{
		"openapi": Version,
		"info":    infoObj,
		"paths":   b.paths,
		"components": map[string]any{
			"schemas": b.finishSchemas(),
		},
	}
	if len(tags) > 0 {
		doc["tags"] = tags
	}
	if info.Server != "" {
		doc["servers"] = []map[string]string{{"url": info.Server}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: encoding the document: %w", err)
	}
	return buf.Bytes(), nil
}

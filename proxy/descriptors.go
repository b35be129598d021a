package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Reflect asks the backend's reflection service (grpc.reflection.v1, which
// grpc-go's reflection.Register serves) for the files of every service it
// lists, with their imports, so that REST can be served for them. The
// reflection services themselves are left out. A file the backend does not
// send is taken from the descriptors linked into the binary when they have
// it (the well-known types, google/api/annotations.proto).
func Reflect(ctx context.Context, backend grpc.ClientConnInterface) (*protoregistry.Files, error) {
	stream, err := rpb.NewServerReflectionClient(backend).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, reflectErr(err)
	}
	defer func() { _ = stream.CloseSend() }()
	ask := func(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
		if err := stream.Send(req); err != nil {
			if errors.Is(err, io.EOF) {
				// The stream ended: Recv has the status that ended it.
				if _, rerr := stream.Recv(); rerr != nil {
					err = rerr
				}
			}
			return nil, reflectErr(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return nil, reflectErr(err)
		}
		if e := resp.GetErrorResponse(); e != nil {
			return nil, fmt.Errorf("proxy: the backend's reflection service answered %s: %s", codes.Code(e.GetErrorCode()), e.GetErrorMessage())
		}
		return resp, nil
	}
	resp, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return nil, err
	}
	files := map[string]*descriptorpb.FileDescriptorProto{}
	add := func(resp *rpb.ServerReflectionResponse) error {
		for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fdp := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(raw, fdp); err != nil {
				return fmt.Errorf("proxy: the backend's reflection service sent a malformed file descriptor: %w", err)
			}
			files[fdp.GetName()] = fdp
		}
		return nil
	}
	for _, svc := range resp.GetListServicesResponse().GetService() {
		if strings.HasPrefix(svc.GetName(), "grpc.reflection.") {
			continue
		}
		resp, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: svc.GetName()}})
		if err != nil {
			return nil, err
		}
		if err := add(resp); err != nil {
			return nil, err
		}
	}
	// Imports the backend has not sent yet (it sends each file once per
	// stream) are asked for by name.
	for {
		missing := missingImports(files)
		if len(missing) == 0 {
			break
		}
		for _, name := range missing {
			if fd, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
				files[name] = protodesc.ToFileDescriptorProto(fd)
				continue
			}
			resp, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: name}})
			if err != nil {
				return nil, err
			}
			n := len(files)
			if err := add(resp); err != nil {
				return nil, err
			}
			if _, ok := files[name]; !ok && len(files) == n {
				return nil, fmt.Errorf("proxy: the backend's reflection service did not send %s", name)
			}
		}
	}
	return newFiles(files)
}

func reflectErr(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return fmt.Errorf("proxy: the backend serves no reflection service (grpc.reflection.v1): register it (reflection.Register in grpc-go) or give a descriptor set: %w", err)
	}
	return fmt.Errorf("proxy: asking the backend's reflection service: %w", err)
}

// ReadDescriptorSet reads a serialized google.protobuf.FileDescriptorSet,
// as buf build -o or protoc --descriptor_set_out --include_imports write
// it. An import the set lacks is taken from the descriptors linked into the
// binary when they have it.
func ReadDescriptorSet(path string) (*protoregistry.Files, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("proxy: reading the descriptor set: %w", err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, set); err != nil {
		return nil, fmt.Errorf("proxy: %s is not a serialized FileDescriptorSet: %w", path, err)
	}
	files := map[string]*descriptorpb.FileDescriptorProto{}
	for _, f := range set.GetFile() {
		files[f.GetName()] = f
	}
	for _, name := range missingImports(files) {
		fd, err := protoregistry.GlobalFiles.FindFileByPath(name)
		if err != nil {
			return nil, fmt.Errorf("proxy: %s lacks %s, an import of its files: write it with its imports (protoc --include_imports)", path, name)
		}
		files[name] = protodesc.ToFileDescriptorProto(fd)
	}
	return newFiles(files)
}

// missingImports lists, in a stable order, the imports of files that files
// does not hold.
func missingImports(files map[string]*descriptorpb.FileDescriptorProto) []string {
	var missing []string
	seen := map[string]bool{}
	for _, f := range files {
		for _, dep := range f.GetDependency() {
			if _, ok := files[dep]; !ok && !seen[dep] {
				seen[dep] = true
				missing = append(missing, dep)
			}
		}
	}
	return missing
}

func newFiles(files map[string]*descriptorpb.FileDescriptorProto) (*protoregistry.Files, error) {
	set := &descriptorpb.FileDescriptorSet{}
	for _, f := range files {
		set.File = append(set.File, f)
	}
	if len(set.File) == 0 {
		return nil, errors.New("proxy: no descriptors: the backend lists no services")
	}
	reg, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("proxy: the descriptors do not link: %w", err)
	}
	return reg, nil
}

// Services lists the services files describes, sorted, less the
// reflection services: the names to hand to the rest package's services
// setting, so that REST is served for methods no local server registers.
func Services(files *protoregistry.Files) []protoreflect.FullName {
	var names []protoreflect.FullName
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			name := fd.Services().Get(i).FullName()
			if !strings.HasPrefix(string(name), "grpc.reflection.") {
				names = append(names, name)
			}
		}
		return true
	})
	slices.Sort(names)
	return names
}

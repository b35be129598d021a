package resttest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
)

// Resource ids that steer the server. grpc-gateway's default header
// matcher passes on only the permanent HTTP headers (as grpcgateway-<name>),
// not Grpc-Metadata-* headers, so a REST client steers the server with the
// ids in a resource name instead.
const (
	// FailPrefix marks an id that makes the method fail: "fail-5" (in a
	// name such as "shelves/fail-5" or "shelves/1/books/fail-5") makes the
	// call fail with code 5 (NOT_FOUND), with details.
	FailPrefix = "fail-"
	// MetaID makes the server answer with a header "seen-<key>" for every
	// metadata key it received (but the transport's own, listed in
	// transportKeys), so a test sees what a front end passed on; with the
	// header EchoHeader ("h"), and the trailer EchoTrailer ("t").
	MetaID = "meta"
)

// Response metadata that MetaID asks for.
const (
	// EchoHeader is a response header.
	EchoHeader = "x-echo-header"
	// EchoTrailer is a trailer.
	EchoTrailer = "x-echo-trailer"
)

// MaxStream is the most messages a streaming method sends.
const MaxStream = 100

// transportKeys are the metadata keys that the transport sets itself, not
// a front end: MetaID leaves them out.
var transportKeys = map[string]bool{
	":authority":           true,
	"content-type":         true,
	"user-agent":           true,
	"grpc-accept-encoding": true,
	"grpc-timeout":         true,
}

// PublishTime is the publish time of every book the server makes up.
var PublishTime = time.Date(2001, 2, 3, 4, 5, 6, 700000000, time.UTC)

// Register registers a new Server on s.
func Register(s grpc.ServiceRegistrar) {
	librarypb.RegisterLibraryServer(s, NewServer())
}

// NewServer returns a Library whose answers echo its requests.
func NewServer() librarypb.LibraryServer {
	return server{}
}

type server struct {
	librarypb.UnimplementedLibraryServer
}

// steer applies the ids of the request: MetaID, then FailPrefix.
func steer(ctx context.Context, ids ...string) error {
	var segs []string
	for _, id := range ids {
		segs = append(segs, strings.Split(id, "/")...)
	}
	if slices.Contains(segs, MetaID) {
		if err := echoMetadata(ctx); err != nil {
			return err
		}
	}
	for _, seg := range segs {
		if code, ok := strings.CutPrefix(seg, FailPrefix); ok {
			n, err := strconv.Atoi(code)
			if err != nil {
				return status.Errorf(codes.InvalidArgument, "resttest: %q: the code after %q is not a number", seg, FailPrefix)
			}
			return failure(codes.Code(n), "resttest: failing as "+seg+" asks", true)
		}
	}
	return nil
}

// echoMetadata answers MetaID.
func echoMetadata(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	header := metadata.Pairs(EchoHeader, "h")
	keys := make([]string, 0, len(md))
	for k := range md {
		if !transportKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		header.Append("seen-"+k, md.Get(k)...)
	}
	if err := grpc.SetHeader(ctx, header); err != nil {
		return err
	}
	return grpc.SetTrailer(ctx, metadata.Pairs(EchoTrailer, "t"))
}

// failure is a status with code c and, if details, an ErrorInfo and a
// BadRequest detail.
func failure(c codes.Code, msg string, details bool) error {
	s := status.New(c, msg)
	if !details || c == codes.OK {
		return s.Err()
	}
	ds, err := s.WithDetails(
		&errdetails.ErrorInfo{Reason: "ASKED", Domain: "resttest.lambdagrpc.dev", Metadata: map[string]string{"code": c.String()}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "name", Description: msg}}},
	)
	if err != nil {
		return s.Err()
	}
	return ds.Err()
}

// book makes up the book called name.
func book(name string) *librarypb.Book {
	return &librarypb.Book{
		Name:        name,
		Title:       "The title of " + name,
		Author:      "An Author",
		Genre:       librarypb.Genre_GENRE_HISTORY,
		Tags:        []string{"old", "rare"},
		PublishTime: timestamppb.New(PublishTime),
		Cover:       &librarypb.Cover{Color: "blue", Image: []byte(name)},
		Pages:       1 << 40,
		Rating:      4.5,
	}
}

func (server) GetShelf(ctx context.Context, req *librarypb.GetShelfRequest) (*librarypb.Shelf, error) {
	if err := steer(ctx, req.GetShelf()); err != nil {
		return nil, err
	}
	return &librarypb.Shelf{Name: "shelves/" + req.GetShelf(), Theme: "echo"}, nil
}

func (server) GetBook(ctx context.Context, req *librarypb.GetBookRequest) (*librarypb.Book, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	return book(req.GetName()), nil
}

func (server) SearchBooks(ctx context.Context, req *librarypb.SearchBooksRequest) (*librarypb.SearchBooksResponse, error) {
	if err := steer(ctx, req.GetParent()); err != nil {
		return nil, err
	}
	return &librarypb.SearchBooksResponse{
		Request:       req,
		Books:         []*librarypb.Book{book(req.GetParent() + "/books/1")},
		NextPageToken: req.GetPageToken() + "+",
	}, nil
}

func (server) CreateBook(ctx context.Context, req *librarypb.CreateBookRequest) (*librarypb.Book, error) {
	if err := steer(ctx, req.GetParent(), req.GetBookId()); err != nil {
		return nil, err
	}
	b := proto.Clone(req.GetBook()).(*librarypb.Book)
	if b == nil {
		b = &librarypb.Book{}
	}
	b.Name = fmt.Sprintf("%s/books/%s (was %q)", req.GetParent(), req.GetBookId(), b.GetName())
	return b, nil
}

func (server) UpdateBook(ctx context.Context, req *librarypb.UpdateBookRequest) (*librarypb.UpdateBookResponse, error) {
	if err := steer(ctx, req.GetBook().GetName()); err != nil {
		return nil, err
	}
	return &librarypb.UpdateBookResponse{Request: req}, nil
}

func (server) DeleteBook(ctx context.Context, req *librarypb.DeleteBookRequest) (*emptypb.Empty, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	// The answer is empty, so the request comes back as headers.
	if err := grpc.SetHeader(ctx, metadata.Pairs("deleted-name", req.GetName(), "deleted-force", strconv.FormatBool(req.GetForce()))); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (server) CancelBook(ctx context.Context, req *librarypb.CancelBookRequest) (*librarypb.CancelBookResponse, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	return &librarypb.CancelBookResponse{Request: req}, nil
}

func (server) GetBookCover(ctx context.Context, req *librarypb.GetBookRequest) (*librarypb.Book, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	return book(req.GetName()), nil
}

func (server) GetFile(ctx context.Context, req *librarypb.GetFileRequest) (*librarypb.File, error) {
	if err := steer(ctx, req.GetShelf(), req.GetPath()); err != nil {
		return nil, err
	}
	return &librarypb.File{Shelf: req.GetShelf(), Path: req.GetPath()}, nil
}

func (server) UploadContent(ctx context.Context, req *librarypb.UploadContentRequest) (*librarypb.UploadContentResponse, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	return &librarypb.UploadContentResponse{
		Name:        req.GetName(),
		ContentType: req.GetContent().GetContentType(),
		Data:        req.GetContent().GetData(),
	}, nil
}

func (server) DownloadContent(ctx context.Context, req *librarypb.DownloadContentRequest) (*httpbody.HttpBody, error) {
	if err := steer(ctx, req.GetName()); err != nil {
		return nil, err
	}
	ct := req.GetContentType()
	if ct == "" {
		ct = "text/plain"
	}
	return &httpbody.HttpBody{ContentType: ct, Data: []byte("the content of " + req.GetName() + "\n")}, nil
}

func (server) Echo(ctx context.Context, req *httpbody.HttpBody) (*httpbody.HttpBody, error) {
	if err := steer(ctx); err != nil {
		return nil, err
	}
	return req, nil
}

// streamCount checks the count of a streaming request.
func streamCount(req *librarypb.StreamBooksRequest) (int, error) {
	n := int(req.GetCount())
	if n < 0 || n > MaxStream {
		return 0, status.Errorf(codes.InvalidArgument, "resttest: count %d: must be from 0 to %d", n, MaxStream)
	}
	return n, nil
}

func (server) StreamBooks(req *librarypb.StreamBooksRequest, stream grpc.ServerStreamingServer[librarypb.Book]) error {
	if err := steer(stream.Context(), req.GetParent()); err != nil {
		return err
	}
	n, err := streamCount(req)
	if err != nil {
		return err
	}
	for i := range n {
		if err := stream.Send(book(fmt.Sprintf("%s/books/%d", req.GetParent(), i))); err != nil {
			return err
		}
	}
	return failure(codes.Code(req.GetFailCode()), "resttest: failing after the stream as asked", true)
}

func (server) StreamContent(req *librarypb.StreamBooksRequest, stream grpc.ServerStreamingServer[httpbody.HttpBody]) error {
	if err := steer(stream.Context(), req.GetParent()); err != nil {
		return err
	}
	n, err := streamCount(req)
	if err != nil {
		return err
	}
	for i := range n {
		chunk := &httpbody.HttpBody{ContentType: "text/plain", Data: fmt.Appendf(nil, "chunk %d of %s\n", i, req.GetParent())}
		if err := stream.Send(chunk); err != nil {
			return err
		}
	}
	return failure(codes.Code(req.GetFailCode()), "resttest: failing after the stream as asked", true)
}

func (server) Fail(ctx context.Context, req *librarypb.FailRequest) (*emptypb.Empty, error) {
	if err := steer(ctx); err != nil {
		return nil, err
	}
	if req.GetCode() == 0 {
		return &emptypb.Empty{}, nil
	}
	return nil, failure(codes.Code(req.GetCode()), req.GetMessage(), req.GetDetails())
}

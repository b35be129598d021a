// Package compat reads and writes the length-prefixed protobuf messages
// the conformance runner exchanges with the programs under test on their
// standard input and output.
package compat

import (
	"encoding/binary"
	"io"

	"google.golang.org/protobuf/proto"
)

// Read reads one message: a four-byte big-endian length, then the message.
func Read(r io.Reader, m proto.Message) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return proto.Unmarshal(b, m)
}

// Write writes one message with its length prefix.
func Write(w io.Writer, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
	return err
}

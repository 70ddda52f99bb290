// tlog-check: an independent verifier of what auditready writes, built on the Go reference
// implementations (transparency-dev/merkle, golang.org/x/mod/sumdb/note, transparency-dev/formats).
// Reads one JSON request on stdin, writes one JSON verdict per item on stdout. Built and run by
// packages/core/test/go-crosscheck.test.ts.
package main

import (
	"encoding/hex"
	"encoding/json"
	"os"

	"bytes"

	"github.com/transparency-dev/formats/log"
	tproof "github.com/transparency-dev/formats/proof"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

type noteReq struct {
	Note         string   `json:"note"`
	VerifierKeys []string `json:"verifier_keys"`
}

type checkpointReq struct {
	Note        string `json:"note"`
	VerifierKey string `json:"verifier_key"`
	Origin      string `json:"origin"`
}

type inclusionReq struct {
	LeafHash string   `json:"leaf_hash"`
	Index    uint64   `json:"index"`
	Size     uint64   `json:"size"`
	Proof    []string `json:"proof"`
	Root     string   `json:"root"`
}

type consistencyReq struct {
	Size1 uint64   `json:"size1"`
	Size2 uint64   `json:"size2"`
	Proof []string `json:"proof"`
	Root1 string   `json:"root1"`
	Root2 string   `json:"root2"`
}

type tlogProofReq struct {
	Proof       string `json:"proof"`
	EntryHex    string `json:"entry_hex"`
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
}

type request struct {
	TlogProofs  []tlogProofReq   `json:"tlog_proofs"`
	Notes       []noteReq        `json:"notes"`
	Checkpoints []checkpointReq  `json:"checkpoints"`
	Inclusion   []inclusionReq   `json:"inclusion"`
	Consistency []consistencyReq `json:"consistency"`
}

type verdict struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Text  string `json:"text,omitempty"`
	Size  uint64 `json:"size,omitempty"`
	Root  string `json:"root,omitempty"`
}

type response struct {
	TlogProofs  []verdict `json:"tlog_proofs"`
	Notes       []verdict `json:"notes"`
	Checkpoints []verdict `json:"checkpoints"`
	Inclusion   []verdict `json:"inclusion"`
	Consistency []verdict `json:"consistency"`
}

func fail(err error) verdict { return verdict{OK: false, Error: err.Error()} }

func hexes(xs []string) ([][]byte, error) {
	out := make([][]byte, len(xs))
	for i, x := range xs {
		b, err := hex.DecodeString(x)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		panic(err)
	}
	res := response{TlogProofs: []verdict{}, Notes: []verdict{}, Checkpoints: []verdict{}, Inclusion: []verdict{}, Consistency: []verdict{}}
	for _, t := range req.TlogProofs {
		res.TlogProofs = append(res.TlogProofs, checkTlogProof(t))
	}
	for _, n := range req.Notes {
		var vs []note.Verifier
		var bad error
		for _, k := range n.VerifierKeys {
			v, err := note.NewVerifier(k)
			if err != nil {
				bad = err
				break
			}
			vs = append(vs, v)
		}
		if bad != nil {
			res.Notes = append(res.Notes, fail(bad))
			continue
		}
		opened, err := note.Open([]byte(n.Note), note.VerifierList(vs...))
		if err != nil {
			res.Notes = append(res.Notes, fail(err))
			continue
		}
		res.Notes = append(res.Notes, verdict{OK: true, Text: opened.Text})
	}
	for _, c := range req.Checkpoints {
		v, err := note.NewVerifier(c.VerifierKey)
		if err != nil {
			res.Checkpoints = append(res.Checkpoints, fail(err))
			continue
		}
		cp, _, _, err := log.ParseCheckpoint([]byte(c.Note), c.Origin, v)
		if err != nil {
			res.Checkpoints = append(res.Checkpoints, fail(err))
			continue
		}
		res.Checkpoints = append(res.Checkpoints, verdict{OK: true, Size: cp.Size, Root: hex.EncodeToString(cp.Hash)})
	}
	for _, p := range req.Inclusion {
		leaf, err1 := hex.DecodeString(p.LeafHash)
		root, err2 := hex.DecodeString(p.Root)
		path, err3 := hexes(p.Proof)
		if err1 != nil || err2 != nil || err3 != nil {
			res.Inclusion = append(res.Inclusion, verdict{OK: false, Error: "bad hex"})
			continue
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.Size, leaf, path, root); err != nil {
			res.Inclusion = append(res.Inclusion, fail(err))
			continue
		}
		res.Inclusion = append(res.Inclusion, verdict{OK: true})
	}
	for _, p := range req.Consistency {
		r1, err1 := hex.DecodeString(p.Root1)
		r2, err2 := hex.DecodeString(p.Root2)
		path, err3 := hexes(p.Proof)
		if err1 != nil || err2 != nil || err3 != nil {
			res.Consistency = append(res.Consistency, verdict{OK: false, Error: "bad hex"})
			continue
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, p.Size1, p.Size2, path, r1, r2); err != nil {
			res.Consistency = append(res.Consistency, fail(err))
			continue
		}
		res.Consistency = append(res.Consistency, verdict{OK: true})
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		panic(err)
	}
}

// checkTlogProof parses a c2sp.org/tlog-proof with the formats library, checks that it marshals
// back to the same bytes, opens its checkpoint with the log key and verifies the entry's inclusion.
func checkTlogProof(t tlogProofReq) verdict {
	var p tproof.TLogProof
	if err := p.Unmarshal([]byte(t.Proof)); err != nil {
		return fail(err)
	}
	if !bytes.Equal(p.Marshal(), []byte(t.Proof)) {
		return verdict{OK: false, Error: "re-marshalled proof differs"}
	}
	v, err := note.NewVerifier(t.VerifierKey)
	if err != nil {
		return fail(err)
	}
	cp, _, _, err := log.ParseCheckpoint(p.Checkpoint, t.Origin, v)
	if err != nil {
		return fail(err)
	}
	entry, err := hex.DecodeString(t.EntryHex)
	if err != nil {
		return fail(err)
	}
	path := make([][]byte, len(p.Hashes))
	for i := range p.Hashes {
		path[i] = p.Hashes[i][:]
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, rfc6962.DefaultHasher.HashLeaf(entry), path, cp.Hash); err != nil {
		return fail(err)
	}
	return verdict{OK: true, Size: cp.Size}
}

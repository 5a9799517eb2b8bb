package aka

// Lengths in octets (TS 33.102, TS 33.501).
const (
	KLen        = 16 // subscriber key K
	OPLen       = 16 // OP and OPc
	RANDLen     = 16
	SQNLen      = 6
	AMFLen      = 2
	MACLen      = 8 // MAC-A and MAC-S
	RESLen      = 8 // Milenage f2 output used as RES
	CKLen       = 16
	IKLen       = 16
	AKLen       = 6
	AUTNLen     = 16 // (SQN xor AK) || AMF || MAC-A
	AUTSLen     = 14 // (SQNms xor AK*) || MAC-S
	RESStarLen  = 16 // RES*, XRES*, HRES*, HXRES*
	Key256Len   = 32 // KAUSF, KSEAF, KAMF, KgNB
	Key128Len   = 16 // KNASenc, KNASint
	ABBALen     = 2
	maxKDFParam = 0xFFFF // Li is two octets (TS 33.220 B.2.0)
)

// FC is the function code that opens the S string of the generic KDF
// (TS 33.220 B.2.0); the values are those of TS 33.501 Annex A.
type FC byte

const (
	FCAlgorithmKey FC = 0x69 // A.8 NAS/RRC/UP algorithm keys
	FCKAUSF        FC = 0x6A // A.2
	FCRESStar      FC = 0x6B // A.4 RES* and XRES*
	FCKSEAF        FC = 0x6C // A.6
	FCKAMF         FC = 0x6D // A.7
	FCKgNB         FC = 0x6E // A.9 (KgNB and KN3IWF)
)

// AlgorithmDistinguisher is P0 of the algorithm key derivation (TS 33.501
// A.8, Table A.8-1).
type AlgorithmDistinguisher byte

const (
	NNASEncAlg AlgorithmDistinguisher = 0x01
	NNASIntAlg AlgorithmDistinguisher = 0x02
	NRRCEncAlg AlgorithmDistinguisher = 0x03
	NRRCIntAlg AlgorithmDistinguisher = 0x04
	NUPEncAlg  AlgorithmDistinguisher = 0x05
	NUPIntAlg  AlgorithmDistinguisher = 0x06
)

// AccessType is P1 of the KgNB derivation (TS 33.501 A.9, Table A.9-1).
type AccessType byte

const (
	Access3GPP    AccessType = 0x01
	AccessNon3GPP AccessType = 0x02
)

// DefaultABBA is the ABBA parameter of TS 33.501 Table A.7.1-1 (0x0000).
var DefaultABBA = [ABBALen]byte{0x00, 0x00}

// 5GMM cause values the UE sends in AUTHENTICATION FAILURE (TS 24.501
// 9.11.3.2).
const (
	CauseMACFailure            uint8 = 20
	CauseSynchFailure          uint8 = 21
	CauseNon5GAuthUnacceptable uint8 = 26
)

// SQN layout of TS 33.102 Annex C: SQN = SEQ || IND with an IND of INDBits
// bits. DefaultDelta is the limit Δ on how far ahead of the highest accepted
// SEQ a fresh SEQ may jump (the value Annex C suggests, 2^28).
const (
	INDBits      = 5
	INDCount     = 1 << INDBits
	SQNMax       = 1<<48 - 1
	DefaultDelta = 1 << 28
)

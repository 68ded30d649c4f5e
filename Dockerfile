# syntax=docker/dockerfile:1
#
# sfmcp's MCP server over streamable HTTP, as a container.
#
# From source (BuildKit, the default builder since Docker 23):
#   docker build -t sfmcp .
#   docker run --rm -p 8000:8000 sfmcp
# goreleaser builds the release images from this same file with
# --build-arg SFMCP_BINARY=release: the binary it already built for each
# platform is copied in instead of being compiled again. BuildKit builds only
# the stages the final image needs, so each way skips the other's stage.

ARG SFMCP_BINARY=source

# --- the binary, compiled here ------------------------------------------------
FROM --platform=$BUILDPLATFORM golang:1.27 AS source
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
# No .git in the context, so the version comes from VERSION alone.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/sfmcp/sfmcp/internal/build.Version=${VERSION}" \
      -o /out/sfmcp ./cmd/sfmcp

# --- the binary goreleaser built (its context holds <os>/<arch>/sfmcp) ---------
FROM scratch AS release
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/sfmcp /out/sfmcp

FROM ${SFMCP_BINARY} AS binary

# --- the image -----------------------------------------------------------------
# distroless/static: CA certificates (sfmcp calls Salesforce over TLS), tzdata,
# /etc/passwd with the nonroot user, and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=binary /out/sfmcp /sfmcp
USER nonroot:nonroot
EXPOSE 8000
# sfmcp serve listens on 127.0.0.1 by default, which nothing outside the
# container can reach; here it must listen on every interface. Each request
# brings its own Salesforce token (OAUTH_MODE=bearer, the default).
ENTRYPOINT ["/sfmcp"]
CMD ["serve", "--transport", "http", "--addr", "0.0.0.0"]

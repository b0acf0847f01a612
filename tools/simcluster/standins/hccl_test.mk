# simcluster stand-in for CANN's tools/hccl_test/Makefile (not Huawei software).
#
#   make MPI_HOME=/path/to/mpi ASCEND_DIR=${ASCEND_HOME_PATH}
#
# The user meets what the real Makefile gives: mpi.h from $(MPI_HOME)/include, hccl/hccl.h from
# $(ASCEND_DIR)/include, -lmpi from $(MPI_HOME)/lib or the linker's default directories (Debian's
# libmpich-dev puts libmpi.so there, and $(MPI_HOME)/lib need not exist), -lhccl and -lascendcl
# from $(ASCEND_DIR)/lib64; the compiler's and linker's errors when one is missing.  "Compiling"
# a test installs the Python stand-in (common/src/hccl_test.py) under the test's name.  Its
# targets are files: a second make with nothing changed does nothing (the real targets are
# .PHONY and rebuild every time).  Built: the five tests of the toolkit's docs.

CXXFLAGS := -std=c++11 -Werror -fstack-protector-strong -fPIE -pie -O2 -s -Wl,-z,relro -Wl,-z,now \
	-Wl,-z,noexecstack -Wl,--copy-dt-needed-entries

Common_DIR = ./common/src
Opbase_DIR = ./opbase_test

HCCL_INC_DIR = ${ASCEND_DIR}/include
HCCL_LIB_DIR = ${ASCEND_DIR}/lib64
ACL_INC_DIR = ${ASCEND_DIR}/include
ACL_LIB_DIR = ${ASCEND_DIR}/lib64
MPI_INC_DIR = ${MPI_HOME}/include
MPI_LIB_DIR = ${MPI_HOME}/lib

# Where ld looks for -lmpi after the -L directories.
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
LD_DEFAULT = /usr/local/lib/$(MULTIARCH) /lib/$(MULTIARCH) /usr/lib/$(MULTIARCH) /usr/local/lib64 /lib64 \
	/usr/lib64 /usr/local/lib /lib /usr/lib

LIST = all_gather_test all_reduce_test alltoall_test broadcast_test reduce_scatter_test
SRC_all_gather = hccl_allgather_rootinfo_test.cc
SRC_all_reduce = hccl_allreduce_rootinfo_test.cc
SRC_alltoall = hccl_alltoall_rootinfo_test.cc
SRC_broadcast = hccl_brocast_rootinfo_test.cc
SRC_reduce_scatter = hccl_reducescatter_rootinfo_test.cc

LIBS = -L$(HCCL_LIB_DIR) -lhccl -L$(ACL_LIB_DIR) -lascendcl -L$(MPI_LIB_DIR) -lmpi
INCLUDEDIRS = -I$(Common_DIR) -I$(Opbase_DIR) -I$(HCCL_INC_DIR) -I$(ACL_INC_DIR) -I$(MPI_INC_DIR)

.DEFAULT_GOAL := all
.PHONY: all clean

all: $(addprefix bin/,$(LIST))

bin/%_test: $(Common_DIR)/hccl_test.py $(Common_DIR)/hwstate.py
	@mkdir -p bin
	@echo "g++ $(CXXFLAGS) $(Common_DIR)/hccl_test_common.cc $(Opbase_DIR)/$(SRC_$*) $(INCLUDEDIRS) -o $@ $(LIBS)"
	@if [ ! -f "$(MPI_INC_DIR)/mpi.h" ]; then \
	  echo "In file included from ./common/src/hccl_test_common.cc:11:" >&2; \
	  echo "./common/src/hccl_opbase_rootinfo_base.h:3:10: fatal error: mpi.h: No such file or directory" >&2; \
	  echo "    3 | #include \"mpi.h\"" >&2; \
	  echo "      |          ^~~~~~~" >&2; \
	  echo "compilation terminated." >&2; exit 1; fi
	@if [ ! -f "$(HCCL_INC_DIR)/hccl/hccl.h" ]; then \
	  echo "In file included from ./common/src/hccl_test_common.cc:12:" >&2; \
	  echo "./common/src/hccl_test_common.h:9:10: fatal error: hccl/hccl.h: No such file or directory" >&2; \
	  echo "    9 | #include \"hccl/hccl.h\"" >&2; \
	  echo "      |          ^~~~~~~~~~~~~" >&2; \
	  echo "compilation terminated." >&2; exit 1; fi
	@for lib in hccl ascendcl; do \
	  [ -e "$(HCCL_LIB_DIR)/lib$$lib.so" ] || { \
	    echo "/usr/bin/ld: cannot find -l$$lib: No such file or directory" >&2; \
	    echo "collect2: error: ld returned 1 exit status" >&2; exit 1; }; done
	@for dir in $(MPI_LIB_DIR) $(LD_DEFAULT); do [ -e "$$dir/libmpi.so" ] && exit 0; done; \
	  echo "/usr/bin/ld: cannot find -lmpi: No such file or directory" >&2; \
	  echo "collect2: error: ld returned 1 exit status" >&2; exit 1
	@{ echo '#!/usr/bin/python3'; cat $(Common_DIR)/hccl_test.py; } > $@ && chmod 0755 $@
	@printf "\033[0;32;32m$*_test compile completed\n\033[m"

clean:
	rm -rf ./bin/*_test

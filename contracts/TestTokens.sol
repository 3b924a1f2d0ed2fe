// SPDX-License-Identifier: MIT
pragma solidity 0.8.26;

// Test and demo contracts, compiled by scripts/compile-contracts.mjs. Written for this project.

/// Minimal ERC-20 bookkeeping shared by the token variants below; symbol() is left to each.
abstract contract TokenCore {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;
    uint8 internal immutable _decimals;

    constructor(uint8 decimals_) { _decimals = decimals_; }

    function decimals() external view virtual returns (uint8) { return _decimals; }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// Many mints in one transaction (benchmark seeding): one Transfer log each.
    function batchMint(address[] calldata to, uint256[] calldata amounts) external {
        for (uint256 i = 0; i < to.length; i++) {
            totalSupply += amounts[i];
            balanceOf[to[i]] += amounts[i];
            emit Transfer(address(0), to[i], amounts[i]);
        }
    }

    /// Many transfers from the sender in one transaction (benchmark seeding).
    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external {
        for (uint256 i = 0; i < to.length; i++) _move(msg.sender, to[i], amounts[i]);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

contract TestToken is TokenCore {
    string public symbol;
    constructor(string memory symbol_, uint8 decimals_) TokenCore(decimals_) { symbol = symbol_; }
}

/// Like MKR: symbol() returns bytes32.
contract Bytes32SymbolToken is TokenCore {
    bytes32 public symbol;
    constructor(bytes32 symbol_, uint8 decimals_) TokenCore(decimals_) { symbol = symbol_; }
}

contract RevertingSymbolToken is TokenCore {
    constructor(uint8 decimals_) TokenCore(decimals_) {}
    function symbol() external pure returns (string memory) { revert("no symbol"); }
}

/// ERC-721 style Transfer: the token id is the third indexed topic (4 topics in all).
contract TestNFT {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    mapping(uint256 => address) public ownerOf;
    function mint(address to, uint256 id) external {
        ownerOf[id] = to;
        emit Transfer(address(0), to, id);
    }
}

/// Deploys a credit account through the real SafeProxyFactory, with the Safe.setup initializer
/// encoded by the Solidity compiler (independently of the service's own encoder).
interface ISafeProxyFactory {
    function createProxyWithNonce(address singleton, bytes memory initializer, uint256 saltNonce) external returns (address);
}

contract CreditAccountDeployer {
    function deploy(address factory, address singleton, address owner, address fallbackHandler, uint256 saltNonce)
        external returns (address proxy)
    {
        address[] memory owners = new address[](1);
        owners[0] = owner;
        bytes memory initializer = abi.encodeWithSignature(
            "setup(address[],uint256,address,bytes,address,address,uint256,address)",
            owners, uint256(1), address(0), bytes(""), fallbackHandler, address(0), uint256(0), address(0));
        proxy = ISafeProxyFactory(factory).createProxyWithNonce(singleton, initializer, saltNonce);
    }
}

/// The aggregate3 entry point of Multicall3, with the same ABI and semantics, placed at the
/// canonical Multicall3 address in tests with anvil_setCode.
contract Multicall3Compatible {
    struct Call3 { address target; bool allowFailure; bytes callData; }
    struct Result { bool success; bytes returnData; }

    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = calls[i].target.call(calls[i].callData);
            require(ok || calls[i].allowFailure, "Multicall3: call failed");
            returnData[i] = Result(ok, ret);
        }
    }

    function getBlockNumber() external view returns (uint256) { return block.number; }
}

/// A Chainlink AggregatorV3-style price feed whose rounds the test controls.
contract TestAggregator {
    uint8 public immutable decimals;
    uint80 internal roundId;
    int256 internal answer;
    uint256 internal updatedAt;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        updateAnswer(answer_);
    }

    function updateAnswer(int256 answer_) public {
        roundId++;
        answer = answer_;
        updatedAt = block.timestamp;
    }

    /// A round as of `updatedAt_` (to make stale rounds).
    function setRound(int256 answer_, uint256 updatedAt_) external {
        roundId++;
        answer = answer_;
        updatedAt = updatedAt_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}

/// A TIP-20-like token: 6 decimals and a currency() code.
contract CurrencyToken is TokenCore {
    string public symbol;
    string public currency;
    constructor(string memory symbol_, string memory currency_) TokenCore(6) {
        symbol = symbol_;
        currency = currency_;
    }
}

/// A fee-on-transfer token that logs the amount sent but credits 1% less: its Transfer logs do
/// not add up to its balances (what reconcile=true must show).
contract FeeOnTransferToken is TokenCore {
    string public symbol = "FOT";
    constructor() TokenCore(18) {}

    function sendWithFee(address to, uint256 amount) external returns (bool) {
        uint256 fee = amount / 100;
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount - fee;
        emit Transfer(msg.sender, to, amount);
        return true;
    }
}
